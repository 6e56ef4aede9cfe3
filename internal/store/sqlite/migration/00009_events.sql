-- +goose Up

-- Events: what contacts did, as clients reported it (POST /api/v1/events
-- and the Segment tracking API). message_id makes delivery idempotent: a
-- tenant stores each message once (INSERT … ON CONFLICT DO NOTHING on the
-- unique index). An event goes with its contact (erasure). Listing is
-- newest first by occurred_at, overall, per contact or per name;
-- retention deletes by occurred_at through the same index.
CREATE TABLE events (
    id          UUID      NOT NULL PRIMARY KEY,
    tenant_id   UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_id  UUID      NOT NULL,
    name        TEXT      NOT NULL CHECK (name <> ''),
    properties  TEXT      NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    message_id  TEXT      NOT NULL CHECK (message_id <> ''),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX events_message_id_key ON events (tenant_id, message_id);
CREATE INDEX events_occurred_at_idx ON events (tenant_id, occurred_at DESC, id DESC);
CREATE INDEX events_contact_id_idx ON events (tenant_id, contact_id, occurred_at DESC);
CREATE INDEX events_name_idx ON events (tenant_id, name, occurred_at DESC);

-- +goose Down
DROP TABLE events;
