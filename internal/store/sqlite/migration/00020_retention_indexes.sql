-- +goose Up

-- Retention prunes each tenant's oldest finished executions and audit
-- entries in small batches, oldest first. These indexes find a batch
-- without scanning the tables (events already have events_occurred_at_idx).
CREATE INDEX workflow_executions_finished_at_idx
    ON workflow_executions (tenant_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX audit_log_created_at_idx ON audit_log (tenant_id, created_at);

-- +goose Down
DROP INDEX audit_log_created_at_idx;
DROP INDEX workflow_executions_finished_at_idx;
