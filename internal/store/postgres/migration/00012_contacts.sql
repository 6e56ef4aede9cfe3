-- +goose Up

-- Contacts: the people journeys run for. external_id is the customer's own
-- user ID and email the normalised (lowercase) address; each is unique per
-- tenant when present, and an upsert matches by one, then the other.
-- attributes is free-form (a JSON object, size-limited by the
-- application), subscriptions the consent per channel
-- ({"email": {"state", "source", "at"}, …}). Listing is newest first by
-- created_at, with keyset pagination on (created_at, id). Row-level
-- security as on every tenant table.
CREATE TABLE contacts (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    external_id    text CHECK (external_id <> ''),
    email          text CHECK (email <> ''),
    phone          text CHECK (phone <> ''),
    messenger_psid text CHECK (messenger_psid <> ''),
    name           text NOT NULL DEFAULT '',
    timezone       text NOT NULL DEFAULT '',
    locale         text NOT NULL DEFAULT '',
    attributes     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    subscriptions  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(subscriptions) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX contacts_external_id_key ON contacts (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_email_key ON contacts (tenant_id, email) WHERE email IS NOT NULL;
CREATE INDEX contacts_created_at_idx ON contacts (tenant_id, created_at DESC, id DESC);

ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contacts
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE contacts;
