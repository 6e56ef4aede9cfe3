-- +goose NO TRANSACTION
-- +goose Up

-- A message is keyed by its ID. Its idempotency key was "<channel>:<ID>"
-- for every send (each is prepared under a new UUIDv7; the outbox entry,
-- keyed by the execution's node visit, is what keeps a send from being
-- prepared twice), so messages_idempotency_key held a second copy of the
-- primary key: one more index entry, and the insert's ON CONFLICT probe of
-- it, for every send. The insert's conflict is now on the primary key.
DROP INDEX CONCURRENTLY IF EXISTS messages_idempotency_key;
ALTER TABLE messages DROP COLUMN IF EXISTS idempotency_key;

-- +goose Down
ALTER TABLE messages ADD COLUMN IF NOT EXISTS idempotency_key text;
UPDATE messages SET idempotency_key = channel || ':' || id WHERE idempotency_key IS NULL;
ALTER TABLE messages ALTER COLUMN idempotency_key SET NOT NULL;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS messages_idempotency_key ON messages (tenant_id, idempotency_key);
