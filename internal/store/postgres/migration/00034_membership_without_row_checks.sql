-- +goose Up

-- Segment members and broadcast recipients are written in bulk (a
-- segment's first computation, a broadcast's start: hundreds of thousands
-- of rows), and a foreign key checks each row on its own: a lookup and a
-- lock of the contact's row per member, about as long as writing the row
-- itself. Their foreign keys go; statement triggers do what the cascades
-- did — a deleted contact, segment or broadcast takes its members and
-- recipients with it, in the deleting statement's transaction — with one
-- delete per statement instead of one per row.
ALTER TABLE segment_members
    DROP CONSTRAINT IF EXISTS segment_members_tenant_id_contact_id_fkey,
    DROP CONSTRAINT IF EXISTS segment_members_tenant_id_segment_id_fkey;
ALTER TABLE broadcast_recipients
    DROP CONSTRAINT IF EXISTS broadcast_recipients_tenant_id_contact_id_fkey,
    DROP CONSTRAINT IF EXISTS broadcast_recipients_tenant_id_broadcast_id_fkey;

-- A contact deleted while a segment computation is writing its chunk
-- must not leave a member behind (the foreign key's lock of the contact
-- row did that): the delete first holds its tenant's segments (KEY
-- SHARE, in the order the per-contact recomputation takes them), so it
-- waits for a computation in flight, and one that starts later no longer
-- sees the contact. Each statement of the function reads a fresh
-- snapshot, so the delete then sees what that computation wrote.
-- +goose StatementBegin
CREATE FUNCTION nextflow_contacts_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM segments s WHERE s.tenant_id IN (SELECT DISTINCT g.tenant_id FROM gone g)
        ORDER BY s.tenant_id, s.name, s.id FOR KEY SHARE;
    DELETE FROM segment_members m USING gone g WHERE m.tenant_id = g.tenant_id AND m.contact_id = g.id;
    DELETE FROM broadcast_recipients r USING gone g WHERE r.tenant_id = g.tenant_id AND r.contact_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contacts_gone AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_contacts_gone();

-- +goose StatementBegin
CREATE FUNCTION nextflow_segments_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM segment_members m USING gone g WHERE m.tenant_id = g.tenant_id AND m.segment_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER segments_gone AFTER DELETE ON segments
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_segments_gone();

-- +goose StatementBegin
CREATE FUNCTION nextflow_broadcasts_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM broadcast_recipients r USING gone g WHERE r.tenant_id = g.tenant_id AND r.broadcast_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER broadcasts_gone AFTER DELETE ON broadcasts
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_broadcasts_gone();

-- +goose Down
DROP TRIGGER IF EXISTS broadcasts_gone ON broadcasts;
DROP FUNCTION IF EXISTS nextflow_broadcasts_gone();
DROP TRIGGER IF EXISTS segments_gone ON segments;
DROP FUNCTION IF EXISTS nextflow_segments_gone();
DROP TRIGGER IF EXISTS contacts_gone ON contacts;
DROP FUNCTION IF EXISTS nextflow_contacts_gone();
DELETE FROM broadcast_recipients r WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = r.tenant_id AND c.id = r.contact_id)
    OR NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.tenant_id = r.tenant_id AND b.id = r.broadcast_id);
DELETE FROM segment_members m WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = m.tenant_id AND c.id = m.contact_id)
    OR NOT EXISTS (SELECT 1 FROM segments s WHERE s.tenant_id = m.tenant_id AND s.id = m.segment_id);
ALTER TABLE broadcast_recipients
    ADD FOREIGN KEY (tenant_id, broadcast_id) REFERENCES broadcasts (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE segment_members
    ADD FOREIGN KEY (tenant_id, segment_id) REFERENCES segments (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE;
