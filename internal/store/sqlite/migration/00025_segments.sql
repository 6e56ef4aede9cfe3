-- +goose Up

-- Segments: a tenant's audiences. definition is the condition tree
-- (store.SegmentCondition as JSON text, validated by the application,
-- never SQL); member_count and computed_at describe the last computation.
CREATE TABLE segments (
    id           UUID      NOT NULL PRIMARY KEY,
    tenant_id    UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         TEXT      NOT NULL CHECK (name <> ''),
    description  TEXT      NOT NULL DEFAULT '',
    definition   TEXT      NOT NULL,
    member_count INTEGER   NOT NULL DEFAULT 0,
    computed_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX segments_tenant_id_id_key ON segments (tenant_id, id);
CREATE UNIQUE INDEX segments_name_key ON segments (tenant_id, name);

-- Segment members: the stored membership, brought up to date set-based.
-- A member goes with its segment and with its contact (erasure).
CREATE TABLE segment_members (
    tenant_id  UUID      NOT NULL,
    segment_id UUID      NOT NULL,
    contact_id UUID      NOT NULL,
    entered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, contact_id),
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX segment_members_contact_idx ON segment_members (tenant_id, contact_id);

-- +goose Down
DROP TABLE segment_members;
DROP TABLE segments;
