-- +goose NO TRANSACTION
-- +goose Up

-- The executions still running or waiting, by tenant, workflow and time of
-- start, test runs included (test in INCLUDE, where the analytics filter
-- it out without visiting the table). It replaces
-- workflow_executions_unfinished_idx (00033), whose predicate left test
-- runs out: with workflow_status_idx gone (00045), cancelling a workflow's
-- runs (ExecutionListActiveIDsByWorkflow, on its archive or deletion, test
-- runs included) had no index that held a workflow's active executions
-- alone, and read every execution of the workflow or every active one of
-- the tenant. The index entries per execution write stay what 00045 left.
-- Built CONCURRENTLY before the old one goes: workflow_executions is large
-- and written all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_active_idx
    ON workflow_executions (tenant_id, workflow_id, created_at)
    INCLUDE (status, id, contact_id, test) WHERE status IN ('PENDING', 'RUNNING', 'WAITING');
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_unfinished_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_unfinished_idx
    ON workflow_executions (tenant_id, workflow_id, created_at)
    INCLUDE (status, id, contact_id) WHERE status IN ('PENDING', 'RUNNING', 'WAITING') AND NOT test;
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_active_idx;
