-- +goose Up

-- Events: what contacts did, as clients reported it (POST /api/v1/events
-- and the Segment tracking API). message_id makes delivery idempotent: a
-- tenant stores each message once, also when two copies are inserted at the
-- same moment (INSERT … ON CONFLICT DO NOTHING on the unique index). An
-- event goes with its contact (erasure). Listing is newest first by
-- occurred_at, overall, per contact or per name; retention deletes by
-- occurred_at, tenant by tenant, through the same index.
CREATE TABLE events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    contact_id  uuid NOT NULL,
    name        text NOT NULL CHECK (name <> ''),
    properties  jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    message_id  text NOT NULL CHECK (message_id <> ''),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX events_message_id_key ON events (tenant_id, message_id);
CREATE INDEX events_occurred_at_idx ON events (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX events_contact_id_idx ON events (tenant_id, contact_id, occurred_at DESC);
CREATE INDEX events_name_idx ON events (tenant_id, name, occurred_at DESC);

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE events;
