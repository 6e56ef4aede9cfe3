-- +goose NO TRANSACTION
-- +goose Up

-- Analytics, third part: the A/B split a running execution took is folded
-- too (a split decision is final once its step is written), so the split
-- report no longer reads the steps of every execution still waiting.
--
-- analytics_split_pending: per workflow, UTC day of entry, split node and
-- variant, the executions not folded into analytics_split_days yet (not
-- finished before executions_through) that took the variant in a step
-- written before split_steps_through. Only the first step of an execution
-- at a node with a variant counts (an execution passing a split twice the
-- same way is one execution). When the execution's finish is folded its
-- entries move from here to analytics_split_days; a retried execution's
-- move back (internal/engine Retry, AnalyticsUnfoldExecution).
CREATE TABLE IF NOT EXISTS analytics_split_pending (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL,
    day         date NOT NULL,
    node_id     text NOT NULL,
    variant     text NOT NULL,
    executions  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, day, node_id, variant)
);
ALTER TABLE analytics_split_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_split_pending FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_split_pending;
CREATE POLICY tenant_isolation ON analytics_split_pending
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- How far the split steps are folded into analytics_split_pending, by the
-- step's time (finished_at, or started_at for a step stored without it).
-- The epoch for a tenant folded before this column existed: its next fold
-- reads every split step of the executions not folded.
ALTER TABLE analytics_watermarks ADD COLUMN IF NOT EXISTS split_steps_through timestamptz NOT NULL DEFAULT '1970-01-01T00:00:00Z';

-- The split steps, small partial indexes (one entry per split decision):
-- by time, for the fold and the live part of the split report (the steps
-- after the watermark), and by execution, for an execution's variants
-- without reading its step rows (index-only). The node type is written out
-- as store.AnalyticsSplitType ('split'): the statements that use them
-- repeat the predicate. Built CONCURRENTLY: the steps table is the largest
-- and written all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_at_idx
    ON workflow_execution_steps (tenant_id, (coalesce(finished_at, started_at)))
    INCLUDE (execution_id, seq, node_id, handle) WHERE node_type = 'split' AND status = 'COMPLETED' AND handle <> '';
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_execution_steps_split_exec_idx
    ON workflow_execution_steps (tenant_id, execution_id)
    INCLUDE (seq, node_id, handle, finished_at, started_at) WHERE node_type = 'split' AND status = 'COMPLETED' AND handle <> '';

-- The planner ignores the statistics of a partial index's expression, so
-- without these it takes a third of the split steps to be newer than any
-- watermark and reads them all; with them (and the ANALYZE that fills
-- them) it reads the few after the watermark through the index above.
CREATE STATISTICS IF NOT EXISTS workflow_execution_steps_at_stat ON (coalesce(finished_at, started_at)) FROM workflow_execution_steps;
ANALYZE workflow_execution_steps;

-- +goose Down
DROP STATISTICS IF EXISTS workflow_execution_steps_at_stat;
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_exec_idx;
DROP INDEX CONCURRENTLY IF EXISTS workflow_execution_steps_split_at_idx;
ALTER TABLE analytics_watermarks DROP COLUMN IF EXISTS split_steps_through;
DROP TABLE IF EXISTS analytics_split_pending;
