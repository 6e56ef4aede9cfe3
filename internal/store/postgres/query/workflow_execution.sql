-- name: ExecutionInsert :one
INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, status, contact_id,
    trigger_type, context, current_node_id, idempotency_key, token, step_count, error, started_at, finished_at,
    wake_at, call_node)
VALUES (@id, @tenant_id, @workflow_id, @version_id, @version, @status, sqlc.narg('contact_id'),
    @trigger_type, @context, @current_node_id, @idempotency_key, @token, @step_count, @error,
    sqlc.narg('started_at'), sqlc.narg('finished_at'), sqlc.narg('wake_at'), sqlc.narg('call_node'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: ExecutionGetByID :one
SELECT * FROM workflow_executions WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionGetByIdempotencyKey :one
SELECT * FROM workflow_executions
WHERE tenant_id = @tenant_id AND idempotency_key = @idempotency_key AND idempotency_key <> '';

-- name: ExecutionLock :one
SELECT * FROM workflow_executions WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ExecutionLockMany :many
-- One primary-key probe per ID, in ID order (so that two transactions lock
-- shared rows in the same order). The equivalent "id = ANY (@ids) ORDER BY
-- id" may be planned, while the table is small, as an ordered scan of all
-- the tenant's executions, and a prepared statement keeps that plan.
SELECT e.* FROM (SELECT DISTINCT x FROM unnest(@ids::uuid[]) AS x ORDER BY x) AS want
CROSS JOIN LATERAL (
    SELECT * FROM workflow_executions WHERE tenant_id = @tenant_id AND id = want.x FOR UPDATE
) AS e
ORDER BY e.id;

-- name: ExecutionUpdate :execrows
-- call_node is cleared: once its row is updated, no dispatcher's call is
-- pending on it (see migration 00041).
UPDATE workflow_executions
SET status = @status, context = @context, current_node_id = @current_node_id, token = @token,
    step_count = @step_count, error = @error, started_at = sqlc.narg('started_at'),
    finished_at = sqlc.narg('finished_at'), wake_at = sqlc.narg('wake_at'), call_node = NULL,
    updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionClaimWakeups :many
-- Takes up to @max_rows timers of every tenant due at @before off their
-- rows: the due rows are locked, earliest first, skipping those another
-- transaction holds (so concurrent claimers split the due timers), and
-- their wake_at is cleared. A call's recovery time (a row naming its
-- call_node) is taken only once due at @calls_before: until then
-- ExecutionRecoverCalls can still find it, should its node die. RETURNING
-- yields the old wake_at from the CTE, in no particular order. Across
-- tenants only in a system transaction (row-level security).
WITH due AS (
    SELECT tenant_id, id, wake_at FROM workflow_executions
    WHERE wake_at IS NOT NULL AND wake_at <= @before::timestamptz
      AND (call_node IS NULL OR wake_at <= @calls_before::timestamptz)
    ORDER BY wake_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED
)
UPDATE workflow_executions AS e SET wake_at = NULL
FROM due
WHERE e.tenant_id = due.tenant_id AND e.id = due.id
RETURNING e.tenant_id, e.id, e.token, due.wake_at::timestamptz AS wake_at;

-- name: ExecutionRecoverCalls :execrows
-- The executions whose call after start the dead node @call_node was to
-- make, read through the wake_at index (their recovery time is at most
-- @before) and filtered by node: their recovery time becomes @at, so the
-- next sweep of timers turns them into jobs at once, and their token moves
-- on, so that node, were it alive after all, finds them moved on and makes
-- no call. Across tenants only in a system transaction.
UPDATE workflow_executions SET wake_at = @at::timestamptz, token = token + 1, call_node = NULL
WHERE wake_at IS NOT NULL AND wake_at <= @before::timestamptz AND call_node = @call_node::text;

-- name: ExecutionList :many
SELECT * FROM workflow_executions
WHERE workflow_executions.tenant_id = @tenant_id
  AND (sqlc.narg('workflow_id')::uuid IS NULL OR workflow_id = sqlc.narg('workflow_id')::uuid)
  AND (cardinality(@statuses::text[]) = 0 OR status = ANY (@statuses::text[]))
  AND (sqlc.narg('contact_id')::uuid IS NULL OR contact_id = sqlc.narg('contact_id')::uuid)
  AND (sqlc.narg('created_after')::timestamptz IS NULL OR created_at > sqlc.narg('created_after')::timestamptz)
  AND (sqlc.narg('created_before')::timestamptz IS NULL OR created_at < sqlc.narg('created_before')::timestamptz)
  AND (sqlc.narg('test')::boolean IS NULL OR test = sqlc.narg('test')::boolean)
  AND (sqlc.narg('node_id')::text IS NULL OR id IN (
    SELECT s.execution_id FROM workflow_execution_steps s
    WHERE s.tenant_id = @tenant_id AND s.node_id = sqlc.narg('node_id')::text
      AND (cardinality(@node_statuses::text[]) = 0 OR s.status = ANY (@node_statuses::text[]))
      AND (cardinality(@node_handles::text[]) = 0 OR s.handle = ANY (@node_handles::text[]))))
  AND id < @before::uuid
ORDER BY id DESC
LIMIT @max_rows;

-- name: ExecutionCountByStatus :many
-- Test runs are left out: they are no journey's traffic.
SELECT status, count(*) AS count FROM workflow_executions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND NOT test
GROUP BY status;

-- name: ExecutionListActiveIDsByWorkflow :many
-- Read through workflow_executions_active_idx (00048), in its order: by id
-- alone the planner walked workflow_id_idx through every finished
-- execution of the workflow (11 s for 1.5 million) to find a few active.
SELECT id FROM workflow_executions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id
  AND status IN ('PENDING', 'RUNNING', 'WAITING')
ORDER BY created_at, id
LIMIT @max_rows;
