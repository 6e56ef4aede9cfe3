-- +goose Up

-- Segments: a tenant's audiences. definition is the condition tree
-- (store.SegmentCondition as JSON, validated by the application, never
-- SQL); member_count and computed_at describe the last computation.
CREATE TABLE segments (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    name         text        NOT NULL CHECK (name <> ''),
    description  text        NOT NULL DEFAULT '',
    definition   jsonb       NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    member_count integer     NOT NULL DEFAULT 0,
    computed_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX segments_name_key ON segments (tenant_id, name);

-- Segment members: the stored membership, brought up to date set-based
-- (entrants inserted, leavers deleted). A member goes with its segment and
-- with its contact (erasure).
CREATE TABLE segment_members (
    tenant_id  uuid        NOT NULL,
    segment_id uuid        NOT NULL,
    contact_id uuid        NOT NULL,
    entered_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, contact_id),
    FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX segment_members_contact_idx ON segment_members (tenant_id, contact_id);

ALTER TABLE segments ENABLE ROW LEVEL SECURITY;
ALTER TABLE segments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON segments
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE segment_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE segment_members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON segment_members
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE segment_members;
DROP TABLE segments;
