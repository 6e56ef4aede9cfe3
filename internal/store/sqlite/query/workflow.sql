-- name: WorkflowInsert :one
INSERT INTO workflows (id, tenant_id, name, description, definition, revision, is_active, current_version_id, current_version, created_by, created_at, updated_at)
VALUES (@id, @tenant_id, @name, @description, @definition, 1, FALSE, NULL, 0, @created_by, @now, @now)
RETURNING *;

-- name: WorkflowGetByID :one
SELECT * FROM workflows WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowUpdateDraft :one
UPDATE workflows
SET name = @name, description = @description, definition = @definition,
    revision = revision + 1, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id AND revision = @expected_revision
RETURNING *;

-- name: WorkflowSetActive :one
UPDATE workflows SET is_active = @is_active, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: WorkflowSetCurrentVersion :one
UPDATE workflows SET current_version_id = @current_version_id, current_version = @current_version, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: WorkflowDelete :execrows
DELETE FROM workflows WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowListActive :many
SELECT * FROM workflows WHERE tenant_id = @tenant_id AND is_active ORDER BY id DESC;
