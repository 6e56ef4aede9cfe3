-- name: WorkflowVersionInsert :one
INSERT INTO workflow_versions (id, tenant_id, workflow_id, version, definition, created_by)
VALUES (@id, @tenant_id, @workflow_id, @version, @definition, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: WorkflowVersionGetByID :one
SELECT * FROM workflow_versions WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowVersionGetByNumber :one
SELECT * FROM workflow_versions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND version = @version;

-- name: WorkflowVersionList :many
SELECT id, tenant_id, workflow_id, version, created_by, created_at
FROM workflow_versions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND version > 0
ORDER BY version DESC;

-- name: WorkflowVersionMax :one
SELECT coalesce(max(version), 0)::integer FROM workflow_versions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND version > 0;

-- name: WorkflowVersionLatestTest :one
-- The newest test snapshot of the draft (versions below zero count down).
SELECT * FROM workflow_versions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND version < 0
ORDER BY version ASC
LIMIT 1;
