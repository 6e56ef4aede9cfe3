-- +goose Up

-- A WAITING execution whose timer (a long delay or a wait's timeout) is far
-- off keeps it on its row, in wake_at, instead of as a queued River job: a
-- job row and its indexes cost about 460 bytes per waiting execution, the
-- column a few. A sweeper claims the timers that fall due soon
-- (ExecutionClaimWakeups) and turns them into jobs. The partial index holds
-- only the rows with a timer, so the sweep reads them earliest first
-- without scanning every execution.
ALTER TABLE workflow_executions ADD COLUMN wake_at timestamptz;
CREATE INDEX workflow_executions_wake_at_idx ON workflow_executions (wake_at) WHERE wake_at IS NOT NULL;

-- +goose Down
DROP INDEX workflow_executions_wake_at_idx;
ALTER TABLE workflow_executions DROP COLUMN wake_at;
