-- +goose NO TRANSACTION
-- +goose Up

-- Retention prunes each tenant's oldest finished executions and audit
-- entries in small batches, oldest first. These indexes find a batch
-- without scanning the tables (events already have events_occurred_at_idx).
-- Built CONCURRENTLY: on a large table a plain CREATE INDEX would block
-- the engine's writes for as long as the build takes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_finished_at_idx
    ON workflow_executions (tenant_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_created_at_idx ON audit_log (tenant_id, created_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS audit_log_created_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_finished_at_idx;
