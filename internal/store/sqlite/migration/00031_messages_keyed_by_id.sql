-- +goose Up

-- A message is keyed by its ID (see the PostgreSQL migration 00054): its
-- idempotency key was "<channel>:<ID>" for every send, a second copy of
-- the primary key.
DROP INDEX messages_idempotency_key;
ALTER TABLE messages DROP COLUMN idempotency_key;

-- +goose Down
ALTER TABLE messages ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
UPDATE messages SET idempotency_key = channel || ':' || id;
CREATE UNIQUE INDEX messages_idempotency_key ON messages (tenant_id, idempotency_key);
