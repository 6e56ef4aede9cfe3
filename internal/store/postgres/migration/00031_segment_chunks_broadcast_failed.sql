-- +goose NO TRANSACTION
-- +goose Up

-- A whole segment computation runs in chunks of contacts by ID, one short
-- transaction each (a long one would hold back vacuum): when the run in
-- progress began (NULL: none) and the last contact ID it evaluated, where
-- it resumes after a crash.
ALTER TABLE segments ADD COLUMN IF NOT EXISTS compute_started_at timestamptz,
    ADD COLUMN IF NOT EXISTS compute_cursor uuid;

-- A chunk counts each contact's events by name in a window with one
-- grouped scan of this index over the chunk's contact IDs, without
-- reading the events themselves. Built CONCURRENTLY: events is large.
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_contact_name_idx ON events (tenant_id, contact_id, name, occurred_at);

-- A broadcast ends failed when it cannot go on (its workflow was archived
-- or unpublished, or its turns kept failing), with the reason.
ALTER TABLE broadcasts DROP CONSTRAINT IF EXISTS broadcasts_status_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_status_check
    CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed'));

-- +goose Down
ALTER TABLE broadcasts DROP CONSTRAINT IF EXISTS broadcasts_status_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_status_check
    CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled'));
DROP INDEX CONCURRENTLY IF EXISTS events_contact_name_idx;
ALTER TABLE segments DROP COLUMN IF EXISTS compute_cursor, DROP COLUMN IF EXISTS compute_started_at;
