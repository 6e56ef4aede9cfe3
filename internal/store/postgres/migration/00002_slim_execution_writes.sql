-- +goose Up

-- Executions and their steps are the engine's hottest tables: every execution
-- writes its row, and a step row per node visit. Every index and every
-- foreign-key check is paid on each of those writes, so these keep only what a
-- query or a guarantee needs.

-- The tenant foreign keys were redundant: an execution's (tenant_id,
-- workflow_id) already references a workflow of that tenant, which references
-- the tenant, and a step's (tenant_id, execution_id) an execution of that
-- tenant. Deleting a tenant still cascades through workflows to executions and
-- their steps. Each check locked the tenant's row (FOR KEY SHARE) once per row
-- written.
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_tenant_id_fkey;
ALTER TABLE workflow_executions DROP CONSTRAINT workflow_executions_tenant_id_fkey;

-- (tenant_id, id) becomes the primary key: every lookup and every foreign key
-- names the tenant, so the index on id alone served nothing.
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_pkey;
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_pkey
    PRIMARY KEY USING INDEX workflow_execution_steps_tenant_id_id_key;
ALTER TABLE workflow_executions DROP CONSTRAINT workflow_executions_pkey;
ALTER TABLE workflow_executions ADD CONSTRAINT workflow_executions_pkey
    PRIMARY KEY USING INDEX workflow_executions_tenant_id_id_key;

-- One index keeps an execution's steps unique by sequence number, lists them
-- in order, and serves the cascade from the execution (it replaces two).
CREATE UNIQUE INDEX workflow_execution_steps_execution_seq_key ON workflow_execution_steps (tenant_id, execution_id, seq);
DROP INDEX workflow_execution_steps_execution_id_seq_key;
DROP INDEX workflow_execution_steps_tenant_id_idx;

-- +goose Down
-- The foreign keys that name (tenant_id, id) depend on the primary keys'
-- indexes: they are dropped and added again around the swap.
ALTER TABLE outbox DROP CONSTRAINT outbox_tenant_id_step_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_tenant_id_execution_id_fkey;
ALTER TABLE waits DROP CONSTRAINT waits_tenant_id_execution_id_fkey;
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_tenant_id_execution_id_fkey;

ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_pkey;
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX workflow_execution_steps_tenant_id_id_key ON workflow_execution_steps (tenant_id, id);
ALTER TABLE workflow_executions DROP CONSTRAINT workflow_executions_pkey;
ALTER TABLE workflow_executions ADD CONSTRAINT workflow_executions_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX workflow_executions_tenant_id_id_key ON workflow_executions (tenant_id, id);

ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE waits ADD CONSTRAINT waits_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id_step_id_fkey
    FOREIGN KEY (tenant_id, step_id) REFERENCES workflow_execution_steps (tenant_id, id) ON DELETE CASCADE;

CREATE INDEX workflow_execution_steps_tenant_id_idx ON workflow_execution_steps (tenant_id, execution_id);
CREATE UNIQUE INDEX workflow_execution_steps_execution_id_seq_key ON workflow_execution_steps (execution_id, seq);
DROP INDEX workflow_execution_steps_execution_seq_key;
ALTER TABLE workflow_executions ADD CONSTRAINT workflow_executions_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
