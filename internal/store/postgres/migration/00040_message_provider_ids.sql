-- +goose NO TRANSACTION
-- +goose Up

-- A send writes its message queued, then marks it sent with the
-- provider's ID. That ID was in a unique index of messages, so the mark
-- could never be a HOT update: it wrote a new entry into each of the
-- table's six or seven indexes (130 µs a row against 45 µs for an outbox
-- update), and so did every status callback after it. The provider IDs
-- move to a narrow table of their own, unique per tenant and channel as
-- before; status callbacks find the message through it. messages keeps
-- the column (the history shows it) without an index on it, and keeps
-- half of each page free, so marking a message sent, delivered or read
-- stays on its page and touches no index. Every statement is idempotent:
-- the file runs outside a transaction for the batched backfill and the
-- CONCURRENTLY index drop.
--
-- The store keeps the table in step with messages.provider_message_id
-- (a message marked sent again under another ID loses the old one, as
-- it did in the index), and the trigger below with the messages deleted.
--
-- No foreign key: a row is written only beside its message's (whose own
-- key checks the tenant), and the trigger below deletes it with the
-- message, a tenant's deletion included (its messages cascade). A key to
-- tenants would take a key-share lock of the tenant's row per ID, as
-- events did before 00035.
CREATE TABLE IF NOT EXISTS message_provider_ids (
    tenant_id           uuid NOT NULL,
    channel             text NOT NULL,
    provider_message_id text NOT NULL CHECK (provider_message_id <> ''),
    message_id          uuid NOT NULL,
    PRIMARY KEY (tenant_id, channel, provider_message_id)
);
ALTER TABLE message_provider_ids ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_provider_ids FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON message_provider_ids;
CREATE POLICY tenant_isolation ON message_provider_ids
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- A deleted message (retention, a tenant's deletion) takes its provider ID
-- with it: one delete per statement.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_messages_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM message_provider_ids p USING gone g
    WHERE g.provider_message_id IS NOT NULL AND p.tenant_id = g.tenant_id AND p.channel = g.channel
      AND p.provider_message_id = g.provider_message_id AND p.message_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS messages_gone ON messages;
CREATE TRIGGER messages_gone AFTER DELETE ON messages
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_messages_gone();

-- The IDs already given, a tenant at a time (the policies are forced on
-- the owner too) in batches of 5,000 messages, each committed, so no
-- transaction holds back vacuum or locks many rows for long.
-- +goose StatementBegin
DO $$
DECLARE
    t uuid;
    last_id uuid;
    next_id uuid;
BEGIN
    FOR t IN SELECT id FROM tenants ORDER BY id LOOP
        last_id := '00000000-0000-0000-0000-000000000000';
        LOOP
            PERFORM set_config('nextflow.tenant_id', t::text, true);
            WITH batch AS (
                SELECT m.id, m.channel, m.provider_message_id FROM messages m
                WHERE m.tenant_id = t AND m.id > last_id ORDER BY m.id LIMIT 5000
            ), added AS (
                INSERT INTO message_provider_ids (tenant_id, channel, provider_message_id, message_id)
                SELECT t, b.channel, b.provider_message_id, b.id FROM batch b WHERE b.provider_message_id IS NOT NULL
                ON CONFLICT DO NOTHING
            )
            SELECT b.id INTO next_id FROM batch b ORDER BY b.id DESC LIMIT 1;
            COMMIT;
            EXIT WHEN next_id IS NULL;
            last_id := next_id;
        END LOOP;
    END LOOP;
END
$$;
-- +goose StatementEnd

DROP INDEX CONCURRENTLY IF EXISTS messages_provider_message_id_key;

-- Room on each page for the new versions of its rows: a batch of sends is
-- inserted together and marked sent together, so its pages need about
-- as much room again (at 80, three updates in four still left their page
-- in a bench). Pages written from now on; older ones as they are
-- rewritten.
ALTER TABLE messages SET (fillfactor = 50);

-- +goose Down
ALTER TABLE messages RESET (fillfactor);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS messages_provider_message_id_key
    ON messages (tenant_id, channel, provider_message_id) WHERE provider_message_id IS NOT NULL;
DROP TRIGGER IF EXISTS messages_gone ON messages;
DROP FUNCTION IF EXISTS nextflow_messages_gone();
DROP TABLE IF EXISTS message_provider_ids;
