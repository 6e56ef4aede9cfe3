-- +goose Up

-- AI settings, one row per workspace: the provider, model and base URL its
-- AI steps and drafts use, the API key sealed by the application
-- (AES-256-GCM, internal/secret, bound to the tenant) and write-only, the
-- monthly token budget (0: none) and the fields redacted from recorded
-- prompts and responses.
CREATE TABLE ai_settings (
    tenant_id            uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    provider             text NOT NULL,
    model                text NOT NULL DEFAULT '',
    base_url             text NOT NULL DEFAULT '',
    api_key_ciphertext   bytea,
    api_key_key_id       text NOT NULL DEFAULT '',
    monthly_token_budget bigint NOT NULL DEFAULT 0 CHECK (monthly_token_budget >= 0),
    redact_fields        jsonb NOT NULL DEFAULT '[]',
    updated_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at           timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- AI usage: one row per AI step (all its provider calls, retries of
-- invalid answers included) or workflow draft. No foreign key to the
-- execution: usage outlives execution retention (it is what was spent).
-- The monthly budget sums tokens_in + tokens_out by (tenant_id, created_at).
CREATE TABLE ai_usage (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    execution_id   uuid,
    step_id        uuid,
    node_id        text NOT NULL DEFAULT '',
    kind           text NOT NULL,
    provider       text NOT NULL,
    model          text NOT NULL,
    calls          integer NOT NULL DEFAULT 1,
    tokens_in      bigint NOT NULL DEFAULT 0,
    tokens_out     bigint NOT NULL DEFAULT 0,
    latency_ms     bigint NOT NULL DEFAULT 0,
    cost_micro_usd bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX ai_usage_step_key ON ai_usage (tenant_id, step_id) WHERE step_id IS NOT NULL;
CREATE INDEX ai_usage_month_idx ON ai_usage (tenant_id, created_at);

ALTER TABLE ai_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_settings
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');

ALTER TABLE ai_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_usage
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');

-- +goose Down
DROP TABLE ai_usage;
DROP TABLE ai_settings;
