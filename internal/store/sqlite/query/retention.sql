-- Retention: the oldest finished history of one tenant, pruned in small
-- batches (internal/retention). Each batch is one short transaction; the
-- counts answer `nextflow admin prune --dry-run`.

-- name: TenantListAfter :many
-- Every tenant after @after_id in ID order, a page at a time (system).
SELECT id, plan FROM tenants WHERE id > @after_id ORDER BY id LIMIT @max_rows;

-- name: ExecutionPruneClaim :many
-- The tenant's oldest executions that finished (COMPLETED, FAILED or
-- CANCELLED) before @before. The batch's write transaction holds SQLite's
-- only writer lock, so none of them changes before it commits.
SELECT id FROM workflow_executions
WHERE tenant_id = @tenant_id AND finished_at < @before
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED')
ORDER BY finished_at, id
LIMIT @max_rows;

-- name: ExecutionPruneMessages :execrows
-- Messages sent by the claimed executions (no foreign key: they go
-- explicitly, in the batch that removes their execution).
DELETE FROM messages WHERE tenant_id = @tenant_id AND execution_id IN (SELECT value FROM json_each(@execution_ids));

-- name: ExecutionPruneOutbox :execrows
DELETE FROM outbox WHERE tenant_id = @tenant_id AND execution_id IN (SELECT value FROM json_each(@execution_ids));

-- name: ExecutionPruneSteps :execrows
-- Before the executions, so that they are counted (the delete trigger on
-- workflow_executions then finds none left).
DELETE FROM workflow_execution_steps WHERE tenant_id = @tenant_id AND execution_id IN (SELECT value FROM json_each(@execution_ids));

-- name: ExecutionPruneDelete :execrows
-- Waits go by their foreign key's cascade; journey entries naming an
-- execution keep their row with execution_id set to NULL.
DELETE FROM workflow_executions
WHERE tenant_id = @tenant_id AND id IN (SELECT value FROM json_each(@execution_ids))
  AND status IN ('COMPLETED', 'FAILED', 'CANCELLED');

-- name: ExecutionPruneCount :one
-- What ExecutionPrune batches would remove before @before, by kind.
WITH old AS (
    SELECT x.id FROM workflow_executions x
    WHERE x.tenant_id = @tenant_id AND x.finished_at < @before
      AND x.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
)
SELECT
    (SELECT count(*) FROM old) AS executions,
    (SELECT count(*) FROM workflow_execution_steps s JOIN old ON s.execution_id = old.id
     WHERE s.tenant_id = @tenant_id) AS steps,
    (SELECT count(*) FROM outbox o JOIN old ON o.execution_id = old.id
     WHERE o.tenant_id = @tenant_id) AS outbox,
    (SELECT count(*) FROM messages m JOIN old ON m.execution_id = old.id
     WHERE m.tenant_id = @tenant_id) AS messages;

-- name: EventPrune :execrows
-- The tenant's oldest events that occurred before @before, up to @max_rows
-- (through events_occurred_at_idx).
DELETE FROM events
WHERE events.tenant_id = @tenant_id AND events.id IN (
    SELECT e.id FROM events e
    WHERE e.tenant_id = @tenant_id AND e.occurred_at < @before
    ORDER BY e.occurred_at
    LIMIT @max_rows
);

-- name: EventPruneCount :one
SELECT count(*) FROM events WHERE tenant_id = @tenant_id AND occurred_at < @before;

-- name: AuditPrune :execrows
-- The tenant's oldest audit entries written before @before, up to
-- @max_rows (through audit_log_created_at_idx).
DELETE FROM audit_log
WHERE id IN (
    SELECT a.id FROM audit_log a
    WHERE a.tenant_id = @tenant_id AND a.created_at < @before
    ORDER BY a.created_at
    LIMIT @max_rows
);

-- name: AuditPruneCount :one
SELECT count(*) FROM audit_log WHERE tenant_id = @tenant_id AND created_at < @before;
