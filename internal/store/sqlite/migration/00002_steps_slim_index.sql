-- +goose Up
-- Steps are found by (execution_id, seq), whose unique index also serves
-- the cascade from workflow_executions; the (tenant_id, execution_id, seq)
-- index only cost every step insert another B-tree.
DROP INDEX workflow_execution_steps_tenant_id_execution_id_idx;

-- +goose Down
CREATE INDEX workflow_execution_steps_tenant_id_execution_id_idx ON workflow_execution_steps (tenant_id, execution_id, seq);
