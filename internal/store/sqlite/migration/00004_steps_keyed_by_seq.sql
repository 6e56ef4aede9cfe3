-- +goose Up

-- A step is addressed by its execution and sequence number, which the
-- engine always knows, so the unique index on (tenant_id, id) goes: every
-- step written paid an entry in it. The outbox no longer references the
-- step (an outbox row goes with its execution, and steps are never deleted
-- apart from their execution); SQLite cannot drop a foreign key, so the
-- outbox table is rebuilt without it, and without the step_id index that
-- served it.
CREATE TABLE outbox_new (
    id              UUID      NOT NULL PRIMARY KEY,
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id    UUID      NOT NULL,
    step_id         UUID      NOT NULL,
    idempotency_key TEXT      NOT NULL,
    kind            TEXT      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    attempts        INTEGER   NOT NULL,
    request         TEXT,
    response        TEXT,
    error           TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO outbox_new SELECT id, tenant_id, execution_id, step_id, idempotency_key, kind, status, attempts, request,
    response, error, created_at, updated_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE UNIQUE INDEX outbox_idempotency_key_key ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_execution_id_idx ON outbox (tenant_id, execution_id);
DROP INDEX workflow_execution_steps_tenant_id_id_key;

-- +goose Down
CREATE UNIQUE INDEX workflow_execution_steps_tenant_id_id_key ON workflow_execution_steps (tenant_id, id);
CREATE TABLE outbox_old (
    id              UUID      NOT NULL PRIMARY KEY,
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id    UUID      NOT NULL,
    step_id         UUID      NOT NULL,
    idempotency_key TEXT      NOT NULL,
    kind            TEXT      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    attempts        INTEGER   NOT NULL,
    request         TEXT,
    response        TEXT,
    error           TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, step_id) REFERENCES workflow_execution_steps (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO outbox_old SELECT id, tenant_id, execution_id, step_id, idempotency_key, kind, status, attempts, request,
    response, error, created_at, updated_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_old RENAME TO outbox;
CREATE UNIQUE INDEX outbox_idempotency_key_key ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_execution_id_idx ON outbox (tenant_id, execution_id);
CREATE INDEX outbox_step_id_idx ON outbox (tenant_id, step_id);
