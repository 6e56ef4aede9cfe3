-- +goose Up

-- Channel connections: a tenant's accounts with messaging providers.
-- config holds the non-secret settings (JSON text); the secrets are one
-- JSON object sealed by the application (AES-256-GCM, bound to tenant and
-- connection ID) into ciphertext under key key_id; secret_names (a JSON
-- array) says which are set. status is what the last test found.
CREATE TABLE channel_connections (
    id             UUID      NOT NULL PRIMARY KEY,
    tenant_id      UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind           TEXT      NOT NULL CHECK (kind IN ('email', 'whatsapp', 'messenger')),
    name           TEXT      NOT NULL CHECK (name <> ''),
    config         TEXT      NOT NULL DEFAULT '{}',
    secret_names   TEXT      NOT NULL DEFAULT '[]',
    ciphertext     BLOB      NOT NULL,
    key_id         TEXT      NOT NULL,
    status         TEXT      NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'ok', 'failing')),
    status_message TEXT      NOT NULL DEFAULT '',
    last_tested_at TIMESTAMP,
    created_by     UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX channel_connections_name_key ON channel_connections (tenant_id, name);

-- Message templates: Liquid per channel kind; content (JSON text) depends
-- on the channel.
CREATE TABLE message_templates (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel     TEXT      NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    name        TEXT      NOT NULL CHECK (name <> ''),
    description TEXT      NOT NULL DEFAULT '',
    content     TEXT      NOT NULL DEFAULT '{}',
    created_by  UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX message_templates_name_key ON message_templates (tenant_id, channel, name);

-- Messages: one row per send (see the PostgreSQL migration). Erasing the
-- contact sets contact_id to NULL (the foreign key) and the trigger below
-- blanks the address and the error text; the row and its status stay.
CREATE TABLE messages (
    id                  UUID      NOT NULL PRIMARY KEY,
    tenant_id           UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel             TEXT      NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    connection_id       UUID,
    contact_id          UUID      REFERENCES contacts (id) ON DELETE SET NULL,
    workflow_id         UUID,
    workflow_version    INTEGER   NOT NULL DEFAULT 0,
    execution_id        UUID,
    step_id             UUID,
    node_id             TEXT      NOT NULL DEFAULT '',
    template_id         UUID,
    idempotency_key     TEXT      NOT NULL,
    recipient           TEXT      NOT NULL,
    provider_message_id TEXT      CHECK (provider_message_id <> ''),
    status              TEXT      NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'bounced', 'skipped')),
    error_code          TEXT      NOT NULL DEFAULT '',
    error_text          TEXT      NOT NULL DEFAULT '',
    queued_at           TIMESTAMP NOT NULL,
    sent_at             TIMESTAMP,
    delivered_at        TIMESTAMP,
    read_at             TIMESTAMP,
    failed_at           TIMESTAMP,
    bounced_at          TIMESTAMP,
    skipped_at          TIMESTAMP,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency_key ON messages (tenant_id, idempotency_key);
CREATE UNIQUE INDEX messages_provider_message_id_key ON messages (tenant_id, channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_tenant_idx ON messages (tenant_id, id DESC);
CREATE INDEX messages_contact_idx ON messages (tenant_id, contact_id, id DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX messages_workflow_idx ON messages (tenant_id, workflow_id, node_id, id DESC) WHERE workflow_id IS NOT NULL;
CREATE INDEX messages_execution_idx ON messages (tenant_id, execution_id) WHERE execution_id IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER messages_contact_erased AFTER UPDATE OF contact_id ON messages
WHEN OLD.contact_id IS NOT NULL AND NEW.contact_id IS NULL
BEGIN
    UPDATE messages SET recipient = '', error_text = '' WHERE id = NEW.id;
END;
-- +goose StatementEnd

-- Suppressions: addresses no message of a channel goes to. They outlive
-- the contact.
CREATE TABLE suppressions (
    tenant_id         UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel           TEXT      NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    address           TEXT      NOT NULL CHECK (address <> ''),
    reason            TEXT      NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribed', 'manual')),
    source_message_id UUID,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, channel, address)
);

-- Messaging windows: the last inbound message of an address on a
-- connection. Deleted with the connection and with the contact.
CREATE TABLE messaging_windows (
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id   UUID      NOT NULL REFERENCES channel_connections (id) ON DELETE CASCADE,
    channel         TEXT      NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    address         TEXT      NOT NULL CHECK (address <> ''),
    contact_id      UUID      REFERENCES contacts (id) ON DELETE CASCADE,
    last_inbound_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, address)
);

-- +goose Down
DROP TABLE messaging_windows;
DROP TABLE suppressions;
DROP TRIGGER messages_contact_erased;
DROP TABLE messages;
DROP TABLE message_templates;
DROP TABLE channel_connections;
