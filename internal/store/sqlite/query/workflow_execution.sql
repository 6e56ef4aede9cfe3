-- name: ExecutionInsert :one
INSERT INTO workflow_executions (
    id, tenant_id, workflow_id, version_id, version, status, contact_id, trigger_type, context,
    current_node_id, token, step_count, error, idempotency_key, created_at, updated_at, started_at, finished_at,
    wake_at
) VALUES (
    @id, @tenant_id, @workflow_id, @version_id, @version, @status, @contact_id, @trigger_type, @context,
    @current_node_id, @token, @step_count, @error, @idempotency_key, @now, @now, @started_at, @finished_at,
    @wake_at
)
RETURNING *;

-- name: ExecutionGetByID :one
SELECT * FROM workflow_executions WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionGetByIdempotencyKey :one
SELECT * FROM workflow_executions
WHERE tenant_id = @tenant_id AND idempotency_key = @idempotency_key AND idempotency_key <> '';

-- name: ExecutionUpdate :execrows
UPDATE workflow_executions
SET status = @status, context = @context, current_node_id = @current_node_id, token = @token,
    step_count = @step_count, error = @error, started_at = @started_at, finished_at = @finished_at,
    wake_at = @wake_at, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionWakeupsDue :many
-- Every tenant's timers due at @before, earliest first. The caller's write
-- transaction holds SQLite's only writer lock, so no other claimer sees
-- them before it clears them (ExecutionClearWakeAt) and commits.
SELECT tenant_id, id, token, wake_at FROM workflow_executions
WHERE wake_at IS NOT NULL AND wake_at <= @before
ORDER BY wake_at, id
LIMIT @max_rows;

-- name: ExecutionClearWakeAt :execrows
UPDATE workflow_executions SET wake_at = NULL WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionCountByStatus :many
-- Test runs are left out: they are no journey's traffic.
SELECT status, count(*) AS count
FROM workflow_executions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND test = 0
GROUP BY status;

-- name: ExecutionListActiveIDsByWorkflow :many
SELECT id FROM workflow_executions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id
  AND status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')
ORDER BY id
LIMIT @max;
