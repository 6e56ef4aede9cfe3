-- +goose Up

-- Row-level security. Every tenant-owned table carries tenant_id and a policy
-- that shows and accepts only the rows of the transaction's tenant, set by the
-- store at the start of each transaction with
--   set_config('nextflow.tenant_id', '<uuid>', true)
-- or, for the few cross-tenant look-ups the store interface documents
-- (session and API key resolution, invitation tokens, signup),
--   set_config('nextflow.system', 'on', true).
-- Superusers and BYPASSRLS roles skip these policies: production connects
-- as an ordinary role (see the package documentation of store/postgres).
-- The policies are FORCEd, so they bind the tables' owner too: a later data
-- migration that reads or changes tenant-owned rows must first run
--   SELECT set_config('nextflow.system', 'on', true);

-- +goose StatementBegin
CREATE FUNCTION nextflow_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT row_tenant = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on'
$$;
-- +goose StatementEnd

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    slug        text NOT NULL,
    plan        text NOT NULL CHECK (plan IN ('FREE', 'PRO', 'BIZ')),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX tenants_slug_key ON tenants (slug);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'OPERATOR', 'VIEWER')),
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash        bytea NOT NULL,
    active_tenant_id  uuid REFERENCES tenants (id) ON DELETE SET NULL,
    user_agent        text NOT NULL DEFAULT '',
    ip                text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_active_tenant_id_idx ON sessions (active_tenant_id) WHERE active_tenant_id IS NOT NULL;

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'OPERATOR', 'VIEWER')),
    token_hash   bytea NOT NULL,
    invited_by   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_tenant_id_idx ON invitations (tenant_id, id);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          text NOT NULL,
    prefix        text NOT NULL,
    secret_hash   bytea NOT NULL,
    scopes        text[] NOT NULL DEFAULT '{}',
    created_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE UNIQUE INDEX api_keys_prefix_key ON api_keys (prefix);
CREATE INDEX api_keys_tenant_id_idx ON api_keys (tenant_id, id);

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_type   text NOT NULL,
    actor_id     uuid,
    action       text NOT NULL,
    target_type  text NOT NULL DEFAULT '',
    target_id    text NOT NULL DEFAULT '',
    data         jsonb,
    ip           text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant_id, id DESC);

CREATE TABLE workflows (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    definition          jsonb NOT NULL,
    revision            bigint NOT NULL DEFAULT 1,
    is_active           boolean NOT NULL DEFAULT false,
    current_version_id  uuid,
    current_version     integer NOT NULL DEFAULT 0,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE UNIQUE INDEX workflows_tenant_id_id_key ON workflows (tenant_id, id);
CREATE INDEX workflows_tenant_id_active_idx ON workflows (tenant_id, id DESC) WHERE is_active;

CREATE TABLE workflow_versions (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id  uuid NOT NULL,
    version      integer NOT NULL,
    definition   jsonb NOT NULL,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_versions_tenant_id_id_key ON workflow_versions (tenant_id, id);
CREATE UNIQUE INDEX workflow_versions_workflow_id_version_key ON workflow_versions (workflow_id, version);
CREATE INDEX workflow_versions_tenant_id_idx ON workflow_versions (tenant_id, workflow_id);

CREATE TABLE workflow_executions (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id      uuid NOT NULL,
    version_id       uuid NOT NULL,
    version          integer NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    contact_id       uuid,
    trigger_type     text NOT NULL DEFAULT '',
    context          jsonb NOT NULL,
    current_node_id  text NOT NULL DEFAULT '',
    token            bigint NOT NULL DEFAULT 0,
    step_count       integer NOT NULL DEFAULT 0,
    error            text NOT NULL DEFAULT '',
    idempotency_key  text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at       timestamptz,
    finished_at      timestamptz,
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, version_id) REFERENCES workflow_versions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_executions_idempotency_key ON workflow_executions (tenant_id, idempotency_key) WHERE idempotency_key <> '';
CREATE UNIQUE INDEX workflow_executions_tenant_id_id_key ON workflow_executions (tenant_id, id);
CREATE INDEX workflow_executions_workflow_id_idx ON workflow_executions (tenant_id, workflow_id, id DESC);
CREATE INDEX workflow_executions_workflow_status_idx ON workflow_executions (tenant_id, workflow_id, status);
CREATE INDEX workflow_executions_status_idx ON workflow_executions (tenant_id, status, id DESC);
CREATE INDEX workflow_executions_version_id_idx ON workflow_executions (version_id);
CREATE INDEX workflow_executions_contact_id_idx ON workflow_executions (tenant_id, contact_id, id DESC) WHERE contact_id IS NOT NULL;

CREATE TABLE workflow_execution_steps (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id  uuid NOT NULL,
    seq           integer NOT NULL,
    node_id       text NOT NULL,
    node_type     text NOT NULL,
    status        text NOT NULL CHECK (status IN ('RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    attempt       integer NOT NULL DEFAULT 1,
    input         jsonb,
    output        jsonb,
    error         text NOT NULL DEFAULT '',
    handle        text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX workflow_execution_steps_tenant_id_id_key ON workflow_execution_steps (tenant_id, id);
CREATE UNIQUE INDEX workflow_execution_steps_execution_id_seq_key ON workflow_execution_steps (execution_id, seq);
CREATE INDEX workflow_execution_steps_tenant_id_idx ON workflow_execution_steps (tenant_id, execution_id);

CREATE TABLE outbox (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id     uuid NOT NULL,
    step_id          uuid NOT NULL,
    idempotency_key  text NOT NULL,
    kind             text NOT NULL,
    status           text NOT NULL CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
    attempts         integer NOT NULL DEFAULT 0,
    request          jsonb,
    response         jsonb,
    error            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, step_id) REFERENCES workflow_execution_steps (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (tenant_id, idempotency_key);
CREATE INDEX outbox_execution_id_idx ON outbox (execution_id);
CREATE INDEX outbox_step_id_idx ON outbox (step_id);

CREATE TABLE waits (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id       uuid NOT NULL,
    node_id            text NOT NULL,
    token              bigint NOT NULL,
    event_name         text NOT NULL,
    contact_id         uuid,
    correlation_value  text NOT NULL DEFAULT '',
    expires_at         timestamptz,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX waits_event_idx ON waits (tenant_id, event_name, id);
CREATE INDEX waits_execution_id_idx ON waits (tenant_id, execution_id);

CREATE TABLE cron_jobs (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id  uuid NOT NULL,
    node_id      text NOT NULL,
    schedule     text NOT NULL,
    timezone     text NOT NULL DEFAULT 'UTC',
    missed_runs  text NOT NULL DEFAULT 'skip',
    is_active    boolean NOT NULL DEFAULT true,
    last_run_at  timestamptz,
    next_run_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX cron_jobs_node_key ON cron_jobs (tenant_id, workflow_id, node_id);
CREATE INDEX cron_jobs_tenant_id_idx ON cron_jobs (tenant_id, id);
CREATE INDEX cron_jobs_next_run_at_idx ON cron_jobs (next_run_at) WHERE is_active;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['memberships', 'invitations', 'api_keys', 'audit_log', 'workflows',
        'workflow_versions', 'workflow_executions', 'workflow_execution_steps', 'outbox', 'waits',
        'cron_jobs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id))', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE cron_jobs, waits, outbox, workflow_execution_steps, workflow_executions,
    workflow_versions, workflows, audit_log, api_keys, invitations, sessions, memberships,
    users, tenants;
DROP FUNCTION nextflow_tenant_visible(uuid);
