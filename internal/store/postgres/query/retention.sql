-- Retention: the oldest finished history of one tenant, pruned in small
-- batches (internal/retention). Each batch is one short transaction; the
-- counts answer `nextflow admin prune --dry-run`.

-- name: TenantListAfter :many
-- Every tenant after @after_id in ID order, a page at a time (system).
SELECT id, plan FROM tenants WHERE id > @after_id ORDER BY id LIMIT @max_rows;

-- name: ExecutionPruneClaim :many
-- The tenant's oldest executions that finished (COMPLETED, FAILED or
-- CANCELLED) before @before, locked for the batch's transaction. SKIP
-- LOCKED passes over one a job holds (a retry of a FAILED execution moving
-- it back to RUNNING): it is looked at again by the next sweep.
SELECT id FROM workflow_executions
WHERE tenant_id = @tenant_id AND finished_at < @before::timestamptz
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
ORDER BY finished_at, id
LIMIT @max_rows
FOR UPDATE SKIP LOCKED;

-- name: ExecutionPruneMessages :execrows
-- Messages sent by the claimed executions (no foreign key: they go
-- explicitly, in the batch that removes their execution).
DELETE FROM messages WHERE tenant_id = @tenant_id AND execution_id = ANY(@execution_ids::uuid[]);

-- name: ExecutionPruneOutbox :execrows
DELETE FROM outbox WHERE tenant_id = @tenant_id AND execution_id = ANY(@execution_ids::uuid[]);

-- name: ExecutionPruneSteps :execrows
-- Before the executions, so that they are counted (the delete trigger on
-- workflow_executions then finds none left).
DELETE FROM workflow_execution_steps WHERE tenant_id = @tenant_id AND execution_id = ANY(@execution_ids::uuid[]);

-- name: ExecutionPruneDelete :execrows
-- Waits go by their foreign key's cascade; journey entries naming an
-- execution keep their row with execution_id set to NULL.
DELETE FROM workflow_executions
WHERE tenant_id = @tenant_id AND id = ANY(@execution_ids::uuid[])
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');

-- name: ExecutionPruneCount :one
-- What ExecutionPrune batches would remove before @before, by kind.
WITH old AS (
    SELECT x.id FROM workflow_executions x
    WHERE x.tenant_id = @tenant_id AND x.finished_at < @before::timestamptz
      AND x.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
)
SELECT
    (SELECT count(*) FROM old)::bigint AS executions,
    (SELECT count(*) FROM workflow_execution_steps s JOIN old ON s.execution_id = old.id
     WHERE s.tenant_id = @tenant_id)::bigint AS steps,
    (SELECT count(*) FROM outbox o JOIN old ON o.execution_id = old.id
     WHERE o.tenant_id = @tenant_id)::bigint AS outbox,
    (SELECT count(*) FROM messages m JOIN old ON m.execution_id = old.id
     WHERE m.tenant_id = @tenant_id)::bigint AS messages;

-- name: EventPrune :execrows
-- The tenant's oldest events that occurred before @before, up to @max_rows
-- (through events_occurred_at_idx).
DELETE FROM events
WHERE events.tenant_id = @tenant_id AND events.id IN (
    SELECT e.id FROM events e
    WHERE e.tenant_id = @tenant_id AND e.occurred_at < @before::timestamptz
    ORDER BY e.occurred_at
    LIMIT @max_rows
);

-- name: EventPruneCount :one
SELECT count(*)::bigint FROM events WHERE tenant_id = @tenant_id AND occurred_at < @before::timestamptz;

-- name: AuditPrune :execrows
-- The tenant's oldest audit entries written before @before, up to
-- @max_rows (through audit_log_created_at_idx).
DELETE FROM audit_log
WHERE id IN (
    SELECT a.id FROM audit_log a
    WHERE a.tenant_id = @tenant_id AND a.created_at < @before::timestamptz
    ORDER BY a.created_at
    LIMIT @max_rows
);

-- name: AuditPruneCount :one
SELECT count(*)::bigint FROM audit_log WHERE tenant_id = @tenant_id AND created_at < @before::timestamptz;
