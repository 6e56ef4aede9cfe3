-- +goose Up

-- Channel connections: a tenant's accounts with messaging providers (an
-- SMTP server, a WhatsApp Cloud API number, a Facebook Page). config holds
-- the non-secret settings; the secrets are one JSON object sealed by the
-- application (AES-256-GCM, bound to tenant and connection ID, see
-- internal/secret) into ciphertext under key key_id, and secret_names says
-- which are set without opening them. status is what the last "test
-- connection" found.
CREATE TABLE channel_connections (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('email', 'whatsapp', 'messenger')),
    name           text NOT NULL CHECK (name <> ''),
    config         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    secret_names   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(secret_names) = 'array'),
    ciphertext     bytea NOT NULL,
    key_id         text NOT NULL,
    status         text NOT NULL DEFAULT 'untested' CHECK (status IN ('untested', 'ok', 'failing')),
    status_message text NOT NULL DEFAULT '',
    last_tested_at timestamptz,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX channel_connections_name_key ON channel_connections (tenant_id, name);
CREATE INDEX channel_connections_id_idx ON channel_connections (id);

-- Message templates: Liquid per channel kind; content's fields depend on
-- the channel (internal/channel).
CREATE TABLE message_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    channel     text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    name        text NOT NULL CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    content     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(content) = 'object'),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX message_templates_name_key ON message_templates (tenant_id, channel, name);

-- Messages: one row per send, written (queued) before the provider call
-- under an idempotency key per (execution, node visit); the provider's
-- message ID is unique per tenant and channel once known, and status
-- callbacks find the row by it. Workflow, execution, connection and
-- template are plain IDs: the history outlives them. Erasing the contact
-- sets contact_id to NULL and blanks the address and the error text
-- (trigger below); the row, its status and so the counts stay.
CREATE TABLE messages (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  uuid NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    connection_id       uuid,
    contact_id          uuid,
    workflow_id         uuid,
    workflow_version    integer NOT NULL DEFAULT 0,
    execution_id        uuid,
    step_id             uuid,
    node_id             text NOT NULL DEFAULT '',
    template_id         uuid,
    idempotency_key     text NOT NULL,
    recipient           text NOT NULL,
    provider_message_id text CHECK (provider_message_id <> ''),
    status              text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed', 'bounced', 'skipped')),
    error_code          text NOT NULL DEFAULT '',
    error_text          text NOT NULL DEFAULT '',
    queued_at           timestamptz NOT NULL,
    sent_at             timestamptz,
    delivered_at        timestamptz,
    read_at             timestamptz,
    failed_at           timestamptz,
    bounced_at          timestamptz,
    skipped_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id)
);
CREATE UNIQUE INDEX messages_idempotency_key ON messages (tenant_id, idempotency_key);
CREATE UNIQUE INDEX messages_provider_message_id_key ON messages (tenant_id, channel, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_contact_idx ON messages (tenant_id, contact_id, id DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX messages_workflow_idx ON messages (tenant_id, workflow_id, node_id, id DESC) WHERE workflow_id IS NOT NULL;
CREATE INDEX messages_execution_idx ON messages (tenant_id, execution_id) WHERE execution_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION nextflow_message_contact_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.recipient := '';
    NEW.error_text := '';
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER messages_contact_erased BEFORE UPDATE OF contact_id ON messages
    FOR EACH ROW WHEN (OLD.contact_id IS NOT NULL AND NEW.contact_id IS NULL)
    EXECUTE FUNCTION nextflow_message_contact_erased();

-- Suppressions: addresses of a tenant no message of a channel goes to
-- (hard bounces, complaints, unsubscribes, manual). They outlive the
-- contact: an erased person's unsubscribe is still honoured.
CREATE TABLE suppressions (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel           text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    address           text NOT NULL CHECK (address <> ''),
    reason            text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribed', 'manual')),
    source_message_id uuid,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, channel, address)
);

-- Messaging windows: the last inbound message of an address on a
-- WhatsApp number or a Page (the 24-hour customer-service window is per
-- business account and user). Deleted with the contact.
CREATE TABLE messaging_windows (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id   uuid NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'messenger')),
    address         text NOT NULL CHECK (address <> ''),
    contact_id      uuid,
    last_inbound_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, address),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES channel_connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE channel_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE channel_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON channel_connections
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_templates
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messages
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE suppressions ENABLE ROW LEVEL SECURITY;
ALTER TABLE suppressions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON suppressions
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE messaging_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE messaging_windows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messaging_windows
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE messaging_windows;
DROP TABLE suppressions;
DROP TABLE messages;
DROP FUNCTION nextflow_message_contact_erased();
DROP TABLE message_templates;
DROP TABLE channel_connections;
