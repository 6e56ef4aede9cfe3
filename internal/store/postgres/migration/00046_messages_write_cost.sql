-- +goose Up

-- A message had two foreign keys: to its tenant and to its contact. Each
-- was checked per inserted row through the trigger machinery (a lookup
-- and a KEY SHARE lock of the parent row), and every transaction writing
-- messages key-share locked the same tenant row (a new multixact per
-- concurrent writer). The inserts (MessageInsert, MessageInsertMany) now
-- check and lock their parents in their own statement, once each: the
-- batch's contacts KEY SHARE, and the tenant's row only when a message
-- has no contact; when one is not there nothing is stored
-- (ErrNotFound, as the keys gave). A message with a contact is checked
-- against its tenant through the contact (contacts keep their key to
-- tenants).
--
-- What the keys did on a delete is done by statement triggers: a deleted
-- contact's messages lose their contact (the messages_contact_erased
-- trigger still blanks the address and error text), a deleted tenant's
-- messages are deleted. The locks keep what the keys kept: a delete
-- waits for a transaction storing messages of the contact or tenant and
-- then sees them (each statement of the trigger functions reads a fresh
-- snapshot); an insert after the delete finds no parent and stores
-- nothing.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_tenant_id_contact_id_fkey;
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_tenant_id_fkey;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_contacts_gone_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages m SET contact_id = NULL FROM gone g WHERE m.tenant_id = g.tenant_id AND m.contact_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS contacts_gone_messages ON contacts;
CREATE TRIGGER contacts_gone_messages AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_contacts_gone_messages();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_tenants_gone_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM messages m USING gone g WHERE m.tenant_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS tenants_gone_messages ON tenants;
CREATE TRIGGER tenants_gone_messages AFTER DELETE ON tenants
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_tenants_gone_messages();

-- +goose Down
DROP TRIGGER IF EXISTS tenants_gone_messages ON tenants;
DROP FUNCTION IF EXISTS nextflow_tenants_gone_messages();
DROP TRIGGER IF EXISTS contacts_gone_messages ON contacts;
DROP FUNCTION IF EXISTS nextflow_contacts_gone_messages();
-- The keys come back only over rows they accept. The policy is forced on
-- the owner too, so it is lifted for the clean-up (in this transaction).
ALTER TABLE messages NO FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
DELETE FROM messages m WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = m.tenant_id);
UPDATE messages m SET contact_id = NULL
WHERE m.contact_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = m.tenant_id AND c.id = m.contact_id);
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
ALTER TABLE messages ADD CONSTRAINT messages_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE;
ALTER TABLE messages ADD CONSTRAINT messages_tenant_id_contact_id_fkey
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE SET NULL (contact_id);
