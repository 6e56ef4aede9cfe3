-- name: WorkflowInsert :one
INSERT INTO workflows (id, tenant_id, name, description, definition, created_by)
VALUES (@id, @tenant_id, @name, @description, @definition, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: WorkflowGetByID :one
SELECT * FROM workflows WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowList :many
SELECT * FROM workflows
WHERE tenant_id = @tenant_id
  AND (@search::text = '' OR name ILIKE '%' || @search::text || '%')
  AND (sqlc.narg('active')::boolean IS NULL OR is_active = sqlc.narg('active')::boolean)
  AND id < @before::uuid
ORDER BY id DESC
LIMIT @max_rows;

-- name: WorkflowUpdateDraft :one
UPDATE workflows
SET name = @name, description = @description, definition = @definition,
    revision = revision + 1, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id AND revision = @expected_revision
RETURNING *;

-- name: WorkflowExists :one
SELECT EXISTS (SELECT 1 FROM workflows WHERE tenant_id = @tenant_id AND id = @id);

-- name: WorkflowSetActive :one
UPDATE workflows SET is_active = @is_active, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: WorkflowSetCurrentVersion :one
-- The version must be one of this workflow's (and so this tenant's).
UPDATE workflows w
SET current_version_id = v.id, current_version = @current_version, updated_at = clock_timestamp()
FROM workflow_versions v
WHERE w.tenant_id = @tenant_id AND w.id = @id
  AND v.tenant_id = @tenant_id AND v.id = @version_id AND v.workflow_id = w.id
RETURNING w.*;

-- name: WorkflowDelete :execrows
DELETE FROM workflows WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowListActive :many
SELECT * FROM workflows WHERE tenant_id = @tenant_id AND is_active ORDER BY id DESC;
