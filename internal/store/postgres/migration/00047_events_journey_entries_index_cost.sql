-- +goose NO TRANSACTION
-- +goose Up

-- Every stored event wrote seven index entries. Two of them served the
-- same prefix: events_contact_id_idx (tenant_id, contact_id, occurred_at
-- DESC) for a contact's timeline and list, events_contact_name_idx
-- (tenant_id, contact_id, name, occurred_at) for the segment and
-- conversion counts of a contact's events by name. One index does both:
-- ordered by contact and time, with the name carried in the entry, so a
-- count by name reads the contact's entries in the window without visiting
-- the table (the name is checked in the index), and a timeline pages
-- newest first as before. Built CONCURRENTLY: events is large and written
-- all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_contact_idx ON events (tenant_id, contact_id, occurred_at DESC) INCLUDE (name);
DROP INDEX CONCURRENTLY IF EXISTS events_contact_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS events_contact_id_idx;

-- A journey start claims its entry with three index entries (the key by
-- workflow and contact, journey_entries_contact_id_idx by contact and
-- entry time, the execution's); a re-entry changes the execution, so it is
-- never a HOT update and writes three again. The key now leads with the
-- contact, so it serves a contact's list (a contact has one entry per
-- workflow: sorting them costs nothing) and the contact's erasure, and
-- journey_entries_contact_id_idx goes. The claim's ON CONFLICT names the
-- same three columns. A workflow's deletion (rare: it deletes the
-- workflow's executions too) now reads the tenant's entries to find its
-- own instead of probing an index.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS journey_entries_contact_key ON journey_entries (tenant_id, contact_id, workflow_id);
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('journey_entries_contact_key') IS NOT NULL THEN
        ALTER TABLE journey_entries DROP CONSTRAINT journey_entries_pkey,
            ADD CONSTRAINT journey_entries_pkey PRIMARY KEY USING INDEX journey_entries_contact_key;
    END IF;
END
$$;
-- +goose StatementEnd
DROP INDEX CONCURRENTLY IF EXISTS journey_entries_contact_id_idx;

-- An entry's tenant was checked twice per claim: by its workflow's key
-- (tenant_id, workflow_id), whose workflow row carries the same tenant and
-- is itself checked against tenants, and by a key to tenants of its own, a
-- lookup and a key-share lock of the tenant's row from every transaction
-- starting journeys. The second goes (as for events in 00035 and the
-- outbox in 00042); a deleted tenant still takes its entries with it,
-- through its workflows and contacts.
ALTER TABLE journey_entries DROP CONSTRAINT IF EXISTS journey_entries_tenant_id_fkey;

-- +goose Down
ALTER TABLE journey_entries DROP CONSTRAINT IF EXISTS journey_entries_tenant_id_fkey;
ALTER TABLE journey_entries ADD CONSTRAINT journey_entries_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
CREATE INDEX CONCURRENTLY IF NOT EXISTS journey_entries_contact_id_idx ON journey_entries (tenant_id, contact_id, entered_at DESC);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS journey_entries_workflow_key ON journey_entries (tenant_id, workflow_id, contact_id);
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('journey_entries_workflow_key') IS NOT NULL THEN
        ALTER TABLE journey_entries DROP CONSTRAINT journey_entries_pkey,
            ADD CONSTRAINT journey_entries_pkey PRIMARY KEY USING INDEX journey_entries_workflow_key;
    END IF;
END
$$;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_contact_id_idx ON events (tenant_id, contact_id, occurred_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_contact_name_idx ON events (tenant_id, contact_id, name, occurred_at);
DROP INDEX CONCURRENTLY IF EXISTS events_contact_idx;
