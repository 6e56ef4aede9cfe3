-- +goose Up
-- One index keeps an execution's steps unique by sequence number, lists them in
-- order, and serves the cascade from the execution (it replaces two): each
-- index is paid on every step written.
CREATE UNIQUE INDEX workflow_execution_steps_execution_seq_key ON workflow_execution_steps (tenant_id, execution_id, seq);
DROP INDEX workflow_execution_steps_execution_id_seq_key;
DROP INDEX workflow_execution_steps_tenant_id_execution_id_idx;

-- +goose Down
CREATE INDEX workflow_execution_steps_tenant_id_execution_id_idx ON workflow_execution_steps (tenant_id, execution_id, seq);
CREATE UNIQUE INDEX workflow_execution_steps_execution_id_seq_key ON workflow_execution_steps (execution_id, seq);
DROP INDEX workflow_execution_steps_execution_seq_key;
