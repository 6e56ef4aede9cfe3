-- +goose Up

-- Contacts: the people journeys run for. external_id is the customer's own
-- user ID and email the normalised (lowercase) address; each is unique per
-- tenant when present, and an upsert matches by one, then the other.
-- attributes is free-form (a JSON object as text, size-limited by the
-- application), subscriptions the consent per channel. (tenant_id, id) is
-- unique so other tables can reference a contact with its tenant.
CREATE TABLE contacts (
    id             UUID      NOT NULL PRIMARY KEY,
    tenant_id      UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    external_id    TEXT,
    email          TEXT,
    phone          TEXT,
    messenger_psid TEXT,
    name           TEXT      NOT NULL DEFAULT '',
    timezone       TEXT      NOT NULL DEFAULT '',
    locale         TEXT      NOT NULL DEFAULT '',
    attributes     TEXT      NOT NULL DEFAULT '{}',
    subscriptions  TEXT      NOT NULL DEFAULT '{}',
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    last_seen_at   TIMESTAMP
);
CREATE UNIQUE INDEX contacts_tenant_id_id_key ON contacts (tenant_id, id);
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_email_key ON contacts (tenant_id, email) WHERE email IS NOT NULL;
CREATE INDEX contacts_created_at_idx ON contacts (tenant_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE contacts;
