-- name: ExecutionInsert :one
INSERT INTO workflow_executions (
    id, tenant_id, workflow_id, version_id, version, status, contact_id, trigger_type, context,
    current_node_id, token, step_count, error, idempotency_key, created_at, updated_at, started_at, finished_at,
    wake_at, call_node
) VALUES (
    @id, @tenant_id, @workflow_id, @version_id, @version, @status, @contact_id, @trigger_type, @context,
    @current_node_id, @token, @step_count, @error, @idempotency_key, @now, @now, @started_at, @finished_at,
    @wake_at, @call_node
)
RETURNING *;

-- name: ExecutionGetByID :one
SELECT * FROM workflow_executions WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionGetByIdempotencyKey :one
SELECT * FROM workflow_executions
WHERE tenant_id = @tenant_id AND idempotency_key = @idempotency_key AND idempotency_key <> '';

-- name: ExecutionUpdate :execrows
-- call_node is cleared: once its row is updated, no dispatcher's call is
-- pending on it (see migration 00030).
UPDATE workflow_executions
SET status = @status, context = @context, current_node_id = @current_node_id, token = @token,
    step_count = @step_count, error = @error, started_at = @started_at, finished_at = @finished_at,
    wake_at = @wake_at, call_node = NULL, updated_at = @now
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionWakeupsDue :many
-- Every tenant's timers due at @before, earliest first; a call's recovery
-- time (a row naming its call_node) only once due at @calls_before. The caller's write
-- transaction holds SQLite's only writer lock, so no other claimer sees
-- them before it clears them (ExecutionClearWakeAt) and commits.
SELECT tenant_id, id, token, wake_at FROM workflow_executions
WHERE wake_at IS NOT NULL AND wake_at <= @before AND (call_node IS NULL OR wake_at <= @calls_before)
ORDER BY wake_at, id
LIMIT @max_rows;

-- name: ExecutionClearWakeAt :execrows
UPDATE workflow_executions SET wake_at = NULL WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionRecoverCalls :execrows
-- The executions whose call after start the dead node @call_node was to
-- make, read through the wake_at index (their recovery time is at most
-- @before) and filtered by node: their recovery time becomes @at, so the
-- next sweep of timers turns them into jobs at once, and their token moves
-- on, so that node, were it alive after all, finds them moved on and makes
-- no call.
UPDATE workflow_executions SET wake_at = @at, token = token + 1, call_node = NULL
WHERE wake_at IS NOT NULL AND wake_at <= @before AND call_node = @call_node;

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
