-- +goose NO TRANSACTION
-- +goose Up

-- A step's completion (status, finished_at, output, error, handle, attempt)
-- could not be a HOT update since 00038: its two split indexes name status
-- and handle in their predicate and finished_at and handle in their key or
-- INCLUDE, and an update changing any column an index names (key, INCLUDE,
-- expression or predicate) writes a new entry into every index of the
-- table. In a bench of sends none of 15,075 step updates was HOT.
--
-- A split step is written once, complete (the engine runs a split in the
-- advance and inserts its step COMPLETED, or FAILED, with finished_at =
-- started_at; no statement updates it after), so the split indexes need
-- not name what a completion changes: they keep the split steps by node
-- type alone and are keyed by started_at, the step's time (for a split
-- step the same as coalesce(finished_at, started_at)). The statements that
-- read them (query/analytics.sql) filter status and handle on the row and
-- repeat node_type = 'split'. Built CONCURRENTLY before the old ones go:
-- the steps table is the largest and written all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_started_idx
    ON workflow_execution_steps (tenant_id, started_at) WHERE node_type = 'split';
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_execution_idx
    ON workflow_execution_steps (tenant_id, execution_id) WHERE node_type = 'split';
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_exec_idx;
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_at_idx;

-- The statistics on coalesce(finished_at, started_at) were there for the
-- old time index's expression; started_at has its own column statistics.
DROP STATISTICS IF EXISTS workflow_execution_steps_at_stat;

-- Steps are inserted a batch at a time into full pages; an effect's step
-- is updated once soon after (its completion), with its output. A HOT
-- update needs room for the new version on the row's page: part of each
-- page is now kept free, as for outbox (00042) and messages (00040).
-- Pages written from now on; older ones as they are rewritten.
ALTER TABLE workflow_execution_steps SET (fillfactor = 60);

-- +goose Down
ALTER TABLE workflow_execution_steps RESET (fillfactor);
CREATE STATISTICS IF NOT EXISTS workflow_execution_steps_at_stat ON (coalesce(finished_at, started_at)) FROM workflow_execution_steps;
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_at_idx
    ON workflow_execution_steps (tenant_id, (coalesce(finished_at, started_at)))
    INCLUDE (execution_id, seq, node_id, handle) WHERE node_type = 'split' AND status = 'COMPLETED' AND handle <> '';
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_exec_idx
    ON workflow_execution_steps (tenant_id, execution_id)
    INCLUDE (seq, node_id, handle, finished_at, started_at) WHERE node_type = 'split' AND status = 'COMPLETED' AND handle <> '';
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_execution_idx;
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_started_idx;
ANALYZE workflow_execution_steps;
