-- +goose Up

-- Workspace credentials: write-only secrets, encrypted by the application
-- (AES-256-GCM, see internal/secret) and referenced from node configs by
-- name. key_id names the key that sealed the ciphertext, so values sealed
-- under an older key stay readable while `nextflow secrets rotate-key`
-- re-seals them. Row-level security as on every tenant table.
CREATE TABLE credentials (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{1,64}$'),
    kind        text NOT NULL,
    description text NOT NULL DEFAULT '',
    ciphertext  bytea NOT NULL,
    key_id      text NOT NULL,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX credentials_name_key ON credentials (tenant_id, name);
CREATE INDEX credentials_id_idx ON credentials (id);

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credentials
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');

-- +goose Down
DROP TABLE credentials;
