-- +goose Up

-- An event's contact was checked by a foreign key, one lookup and lock of
-- the contact's row per event through the trigger machinery (about a
-- sixteenth of a batch transaction storing events, perf on a 100-event
-- batch whose contacts its upsert had locked). EventInsertMany checks and locks
-- a batch's contacts in its own statement instead (KEY SHARE, as the
-- foreign key did, once per contact), and a deleted contact takes its
-- events with it through the contacts_gone statement trigger. The lock
-- keeps what the foreign key kept: a delete waits for a transaction
-- storing events of the contact, and then sees them (each statement of
-- the trigger function reads a fresh snapshot); an insert after the
-- delete finds no contact and stores nothing.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_tenant_id_contact_id_fkey;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_contacts_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM segments s WHERE s.tenant_id IN (SELECT DISTINCT g.tenant_id FROM gone g)
        ORDER BY s.tenant_id, s.name, s.id FOR KEY SHARE;
    DELETE FROM segment_members m USING gone g WHERE m.tenant_id = g.tenant_id AND m.contact_id = g.id;
    DELETE FROM broadcast_recipients r USING gone g WHERE r.tenant_id = g.tenant_id AND r.contact_id = g.id;
    DELETE FROM events e USING gone g WHERE e.tenant_id = g.tenant_id AND e.contact_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_contacts_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM segments s WHERE s.tenant_id IN (SELECT DISTINCT g.tenant_id FROM gone g)
        ORDER BY s.tenant_id, s.name, s.id FOR KEY SHARE;
    DELETE FROM segment_members m USING gone g WHERE m.tenant_id = g.tenant_id AND m.contact_id = g.id;
    DELETE FROM broadcast_recipients r USING gone g WHERE r.tenant_id = g.tenant_id AND r.contact_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DELETE FROM events e WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = e.tenant_id AND c.id = e.contact_id);
ALTER TABLE events ADD CONSTRAINT events_tenant_id_contact_id_fkey
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE;
