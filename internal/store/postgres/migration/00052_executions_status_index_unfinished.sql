-- +goose NO TRANSACTION
-- +goose Up

-- workflow_executions_status_idx (status, tenant_id, id) took an entry for
-- every execution, and one more for every change of status: an execution
-- started and completed in one transaction (an event start of a pure
-- journey) wrote one into it, an execution completed after a send two. It
-- serves the list of a tenant's executions by status, which matters for
-- the few (failed, cancelled, running, waiting): completed executions are
-- most of the table, and a list of them walks the key newest first and
-- finds them at once. The index now holds only executions that are not
-- completed, so a completion writes no entry into it. ExecutionList is
-- planned at each call, so a list by statuses that leave out COMPLETED
-- (a constant the planner sees) proves the index's predicate and reads it.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_unfinished_status_idx
    ON workflow_executions (status, tenant_id, id) WHERE status <> 'COMPLETED';
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_status_idx;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_status_idx ON workflow_executions (status, tenant_id, id);
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_unfinished_status_idx;
