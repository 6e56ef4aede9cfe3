-- +goose Up
-- Conventions: IDs are UUIDv7 text (declared UUID), times are UTC text in
-- "2006-01-02 15:04:05.999999999+00:00" form (declared TIMESTAMP, so they
-- sort as text), JSON is TEXT, booleans are 0/1. Rows that point at
-- another tenant-owned row reference it by (tenant_id, id), so a row can
-- never point into another tenant.

CREATE TABLE tenants (
    id         UUID      NOT NULL PRIMARY KEY,
    name       TEXT      NOT NULL,
    slug       TEXT      NOT NULL,
    plan       TEXT      NOT NULL CHECK (plan IN ('FREE', 'PRO', 'BIZ')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug);

CREATE TABLE users (
    id            UUID      NOT NULL PRIMARY KEY,
    email         TEXT      NOT NULL,
    name          TEXT      NOT NULL,
    password_hash TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    tenant_id  UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    UUID      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT      NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'OPERATOR', 'VIEWER')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

CREATE TABLE sessions (
    id               UUID      NOT NULL PRIMARY KEY,
    user_id          UUID      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash       BLOB      NOT NULL,
    active_tenant_id UUID      REFERENCES tenants (id) ON DELETE SET NULL,
    user_agent       TEXT      NOT NULL,
    ip               TEXT      NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    last_seen_at     TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    revoked_at       TIMESTAMP
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE invitations (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email       TEXT      NOT NULL,
    role        TEXT      NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'OPERATOR', 'VIEWER')),
    token_hash  BLOB      NOT NULL,
    invited_by  UUID      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_tenant_id_idx ON invitations (tenant_id, id);

CREATE TABLE api_keys (
    id           UUID      NOT NULL PRIMARY KEY,
    tenant_id    UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT      NOT NULL,
    prefix       TEXT      NOT NULL,
    secret_hash  BLOB      NOT NULL,
    scopes       TEXT      NOT NULL,
    created_by   UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id, id);

CREATE TABLE audit_log (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_type  TEXT      NOT NULL,
    actor_id    UUID,
    action      TEXT      NOT NULL,
    target_type TEXT      NOT NULL,
    target_id   TEXT      NOT NULL,
    data        TEXT,
    ip          TEXT      NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant_id, id);

CREATE TABLE workflows (
    id                 UUID      NOT NULL PRIMARY KEY,
    tenant_id          UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT      NOT NULL,
    description        TEXT      NOT NULL,
    definition         TEXT      NOT NULL,
    revision           INTEGER   NOT NULL,
    is_active          BOOLEAN   NOT NULL,
    current_version_id UUID,
    current_version    INTEGER   NOT NULL,
    created_by         UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX workflows_tenant_id_id_key ON workflows (tenant_id, id);
CREATE INDEX workflows_tenant_id_is_active_idx ON workflows (tenant_id, is_active, id);

CREATE TABLE workflow_versions (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id UUID      NOT NULL,
    version     INTEGER   NOT NULL,
    definition  TEXT      NOT NULL,
    created_by  UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_versions_workflow_id_version_key ON workflow_versions (workflow_id, version);
CREATE UNIQUE INDEX workflow_versions_tenant_id_id_key ON workflow_versions (tenant_id, id);
CREATE INDEX workflow_versions_tenant_id_workflow_id_idx ON workflow_versions (tenant_id, workflow_id, version);

CREATE TABLE workflow_executions (
    id              UUID      NOT NULL PRIMARY KEY,
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id     UUID      NOT NULL,
    version_id      UUID      NOT NULL,
    version         INTEGER   NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    contact_id      UUID,
    trigger_type    TEXT      NOT NULL,
    context         TEXT      NOT NULL,
    current_node_id TEXT      NOT NULL,
    token           INTEGER   NOT NULL,
    step_count      INTEGER   NOT NULL,
    error           TEXT      NOT NULL,
    idempotency_key TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    started_at      TIMESTAMP,
    finished_at     TIMESTAMP,
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, version_id) REFERENCES workflow_versions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_executions_idempotency_key_key ON workflow_executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE UNIQUE INDEX workflow_executions_tenant_id_id_key ON workflow_executions (tenant_id, id);
CREATE INDEX workflow_executions_workflow_id_idx ON workflow_executions (tenant_id, workflow_id, id);
CREATE INDEX workflow_executions_status_idx ON workflow_executions (tenant_id, status, id);
CREATE INDEX workflow_executions_contact_id_idx ON workflow_executions (tenant_id, contact_id, id) WHERE contact_id IS NOT NULL;
CREATE INDEX workflow_executions_version_id_idx ON workflow_executions (tenant_id, version_id);

CREATE TABLE workflow_execution_steps (
    id           UUID      NOT NULL PRIMARY KEY,
    tenant_id    UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id UUID      NOT NULL,
    seq          INTEGER   NOT NULL,
    node_id      TEXT      NOT NULL,
    node_type    TEXT      NOT NULL,
    status       TEXT      NOT NULL CHECK (status IN ('RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    attempt      INTEGER   NOT NULL,
    input        TEXT,
    output       TEXT,
    error        TEXT      NOT NULL,
    handle       TEXT      NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_execution_steps_execution_id_seq_key ON workflow_execution_steps (execution_id, seq);
CREATE UNIQUE INDEX workflow_execution_steps_tenant_id_id_key ON workflow_execution_steps (tenant_id, id);
CREATE INDEX workflow_execution_steps_tenant_id_execution_id_idx ON workflow_execution_steps (tenant_id, execution_id, seq);

CREATE TABLE outbox (
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
CREATE UNIQUE INDEX outbox_idempotency_key_key ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_execution_id_idx ON outbox (tenant_id, execution_id);
CREATE INDEX outbox_step_id_idx ON outbox (tenant_id, step_id);

CREATE TABLE waits (
    id                UUID      NOT NULL PRIMARY KEY,
    tenant_id         UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id      UUID      NOT NULL,
    node_id           TEXT      NOT NULL,
    token             INTEGER   NOT NULL,
    event_name        TEXT      NOT NULL,
    contact_id        UUID,
    correlation_value TEXT      NOT NULL,
    expires_at        TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX waits_event_name_idx ON waits (tenant_id, event_name, id);
CREATE INDEX waits_execution_id_idx ON waits (tenant_id, execution_id);

CREATE TABLE cron_jobs (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id UUID      NOT NULL,
    node_id     TEXT      NOT NULL,
    schedule    TEXT      NOT NULL,
    timezone    TEXT      NOT NULL,
    missed_runs TEXT      NOT NULL,
    is_active   BOOLEAN   NOT NULL,
    last_run_at TIMESTAMP,
    next_run_at TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX cron_jobs_workflow_id_node_id_key ON cron_jobs (tenant_id, workflow_id, node_id);
CREATE INDEX cron_jobs_tenant_id_idx ON cron_jobs (tenant_id, id);
CREATE INDEX cron_jobs_next_run_at_idx ON cron_jobs (next_run_at) WHERE is_active;

-- +goose Down
DROP TABLE cron_jobs;
DROP TABLE waits;
DROP TABLE outbox;
DROP TABLE workflow_execution_steps;
DROP TABLE workflow_executions;
DROP TABLE workflow_versions;
DROP TABLE workflows;
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE invitations;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants;
