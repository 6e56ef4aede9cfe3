-- name: ContactImportInsert :one
INSERT INTO contact_imports (id, tenant_id, status, filename, delimiter, column_map, header, created_by, created_at, updated_at)
VALUES (@id, @tenant_id, 'uploading', @filename, @delimiter, @column_map, '[]', @created_by, @now, @now)
RETURNING *;

-- name: ContactImportGetByID :one
SELECT * FROM contact_imports WHERE tenant_id = @tenant_id AND id = @id;

-- name: ContactImportList :many
SELECT * FROM contact_imports
WHERE tenant_id = @tenant_id AND id < @before
ORDER BY id DESC
LIMIT @lim;

-- name: ContactImportUpdate :one
UPDATE contact_imports
SET status = @status, header = @header, total_bytes = @total_bytes, total_rows = @total_rows,
    bytes_done = @bytes_done, rows_done = @rows_done, rows_created = @rows_created,
    rows_updated = @rows_updated, rows_failed = @rows_failed, error = @error,
    started_at = @started_at, finished_at = @finished_at, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id AND status = @expected_status AND bytes_done = @expected_bytes_done
RETURNING *;

-- name: ContactImportCancel :one
UPDATE contact_imports
SET status = 'cancelled', finished_at = @at, updated_at = @at
WHERE tenant_id = @tenant_id AND id = @id AND status IN ('uploading', 'pending', 'running')
RETURNING *;

-- name: ContactImportDelete :execrows
DELETE FROM contact_imports WHERE tenant_id = @tenant_id AND id = @id;

-- name: ContactImportChunkInsert :exec
INSERT INTO contact_import_chunks (tenant_id, import_id, seq, start_offset, data)
VALUES (@tenant_id, @import_id, @seq, @start_offset, @data);

-- name: ContactImportChunkGet :one
SELECT * FROM contact_import_chunks WHERE tenant_id = @tenant_id AND import_id = @import_id AND seq = @seq;

-- name: ContactImportChunkAt :one
SELECT * FROM contact_import_chunks
WHERE tenant_id = @tenant_id AND import_id = @import_id AND start_offset <= @byte_offset
ORDER BY seq DESC
LIMIT 1;

-- name: ContactImportChunkDeleteAll :execrows
DELETE FROM contact_import_chunks WHERE tenant_id = @tenant_id AND import_id = @import_id;

-- name: ContactImportErrorInsert :exec
INSERT INTO contact_import_errors (tenant_id, import_id, row_number, message)
VALUES (@tenant_id, @import_id, @row_number, @message)
ON CONFLICT DO NOTHING;

-- name: ContactImportErrorList :many
SELECT row_number, message FROM contact_import_errors
WHERE tenant_id = @tenant_id AND import_id = @import_id AND row_number > @after_row
ORDER BY row_number
LIMIT @lim;
