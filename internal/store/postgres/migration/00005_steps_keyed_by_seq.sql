-- +goose Up

-- A step is addressed by its execution and sequence number, which the
-- engine always knows (it keeps the open step's seq), so that key becomes
-- the primary key and the index on (tenant_id, id) goes: it cost every
-- step written an index entry, and a waiting execution about 100 bytes.
-- Step IDs stay, unique by construction (UUIDv7), for the API and live
-- events.
--
-- The outbox no longer references the step: an outbox row goes with its
-- execution (that foreign key stays), and steps are never deleted apart
-- from their execution. Its step_id index served only that reference.
ALTER TABLE outbox DROP CONSTRAINT outbox_tenant_id_step_id_fkey;
DROP INDEX outbox_step_id_idx;
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_pkey;
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_pkey
    PRIMARY KEY USING INDEX workflow_execution_steps_execution_seq_key;

-- +goose Down
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_pkey;
CREATE UNIQUE INDEX workflow_execution_steps_execution_seq_key ON workflow_execution_steps (tenant_id, execution_id, seq);
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_pkey PRIMARY KEY (tenant_id, id);
CREATE INDEX outbox_step_id_idx ON outbox (step_id);
ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id_step_id_fkey
    FOREIGN KEY (tenant_id, step_id) REFERENCES workflow_execution_steps (tenant_id, id) ON DELETE CASCADE;
