-- +goose NO TRANSACTION
-- +goose Up

-- An execution's update changes its status on every state change (and
-- finished_at, wake_at with it), columns that workflow_executions_status_idx,
-- workflow_status_idx, unfinished_idx (predicate), finished_at_idx and
-- wake_at_idx name: no such update can be HOT, and each writes a new entry
-- into every index of the table, as each insert does. In a bench of sends
-- every one of the 32,630 execution updates was an execution's finish
-- (RUNNING to COMPLETED), so a fillfactor would make none of them HOT; the
-- cost to cut is the number of indexes.
--
-- workflow_executions_workflow_status_idx (workflow_id, status) is the
-- one no statement needs: a workflow's executions by status
-- (ExecutionListActiveIDsByWorkflow, cancelling a workflow's runs) are read
-- through workflow_executions_status_idx (status, tenant_id, id) when few
-- are active and through workflow_executions_workflow_id_idx when many
-- are; the counts per status read every execution of the workflow either
-- way (they filter test, which no index holds). Dropped: one index entry
-- less per execution insert and per execution update.
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_workflow_status_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_workflow_status_idx ON workflow_executions (workflow_id, status);
