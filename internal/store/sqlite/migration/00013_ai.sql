-- +goose Up

-- AI settings, one row per workspace: the provider, model and base URL its
-- AI steps and drafts use, the API key sealed by the application
-- (AES-256-GCM, internal/secret, bound to the tenant) and write-only, the
-- monthly token budget (0: none) and the fields redacted from recorded
-- prompts and responses (a JSON array).
CREATE TABLE ai_settings (
    tenant_id            UUID      NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    provider             TEXT      NOT NULL,
    model                TEXT      NOT NULL,
    base_url             TEXT      NOT NULL,
    api_key_ciphertext   BLOB,
    api_key_key_id       TEXT      NOT NULL,
    monthly_token_budget INTEGER   NOT NULL CHECK (monthly_token_budget >= 0),
    redact_fields        TEXT      NOT NULL,
    updated_by           UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);

-- AI usage: one row per AI step (all its provider calls, retries of
-- invalid answers included) or workflow draft. No foreign key to the
-- execution: usage outlives execution retention.
CREATE TABLE ai_usage (
    id             UUID      NOT NULL PRIMARY KEY,
    tenant_id      UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id   UUID,
    step_id        UUID,
    node_id        TEXT      NOT NULL,
    kind           TEXT      NOT NULL,
    provider       TEXT      NOT NULL,
    model          TEXT      NOT NULL,
    calls          INTEGER   NOT NULL,
    tokens_in      INTEGER   NOT NULL,
    tokens_out     INTEGER   NOT NULL,
    latency_ms     INTEGER   NOT NULL,
    cost_micro_usd INTEGER   NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ai_usage_step_key ON ai_usage (tenant_id, step_id) WHERE step_id IS NOT NULL;
CREATE INDEX ai_usage_month_idx ON ai_usage (tenant_id, created_at);

-- +goose Down
DROP TABLE ai_usage;
DROP TABLE ai_settings;
