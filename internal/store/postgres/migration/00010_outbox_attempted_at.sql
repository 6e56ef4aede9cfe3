-- +goose Up

-- An outbox entry's attempts are counted before each call, in a commit of
-- their own, so a call repeated after a crash (made, then the process died
-- or the database was unreachable before the result was recorded) shows as
-- a second attempt under the same idempotency key. attempted_at is when
-- the last attempt began.
ALTER TABLE outbox ADD COLUMN attempted_at timestamptz;

-- +goose Down
ALTER TABLE outbox DROP COLUMN attempted_at;
