-- +goose Up

-- Workspace credentials: write-only secrets, encrypted by the application
-- (AES-256-GCM, see internal/secret) and referenced from node configs by
-- name. key_id names the key that sealed the ciphertext, so values sealed
-- under an older key stay readable while `nextflow secrets rotate-key`
-- re-seals them.
CREATE TABLE credentials (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT      NOT NULL,
    kind        TEXT      NOT NULL,
    description TEXT      NOT NULL,
    ciphertext  BLOB      NOT NULL,
    key_id      TEXT      NOT NULL,
    created_by  UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX credentials_name_key ON credentials (tenant_id, name);

-- +goose Down
DROP TABLE credentials;
