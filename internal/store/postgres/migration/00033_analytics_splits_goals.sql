-- +goose NO TRANSACTION
-- +goose Up

-- Analytics, second part (internal/analytics folds these with the day
-- rollups of 00032, below the same executions_through watermark: the
-- executions that finished before it).
--
-- analytics_split_days: per workflow, UTC day of entry (the day the
-- execution was created), A/B split node and variant taken, the folded
-- executions that took it (executions), completed and failed; a row with
-- end_node set counts those of them that reached that end node instead.
-- end_node is '' on the variant's own row.
CREATE TABLE IF NOT EXISTS analytics_split_days (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL,
    day         date NOT NULL,
    node_id     text NOT NULL,
    variant     text NOT NULL,
    end_node    text NOT NULL DEFAULT '',
    executions  bigint NOT NULL DEFAULT 0,
    completed   bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, day, node_id, variant, end_node)
);

-- analytics_goal_firsts: per folded execution and event name, the first
-- event of that name its contact had in the 90 days after the execution
-- was created (the longest conversion window), among the events received
-- before the watermark. A report takes the earlier of it and the events
-- received since, so it equals the live computation for any goal name and
-- window. The execution's split variants ride along (split_nodes[i] took
-- split_variants[i]) so the split report needs no step rows. Only
-- executions whose contact had some event get rows.
CREATE TABLE IF NOT EXISTS analytics_goal_firsts (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    execution_id   uuid NOT NULL,
    goal           text NOT NULL,
    workflow_id    uuid NOT NULL,
    entered_at     timestamptz NOT NULL,
    first_at       timestamptz NOT NULL,
    split_nodes    text[] NOT NULL DEFAULT '{}',
    split_variants text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, execution_id, goal)
);
CREATE INDEX IF NOT EXISTS analytics_goal_firsts_entered_idx
    ON analytics_goal_firsts (tenant_id, workflow_id, goal, entered_at) INCLUDE (execution_id, first_at);

ALTER TABLE analytics_split_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_split_days FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_split_days;
CREATE POLICY tenant_isolation ON analytics_split_days
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE analytics_goal_firsts ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_goal_firsts FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_goal_firsts;
CREATE POLICY tenant_isolation ON analytics_goal_firsts
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- The live part of every execution report: the executions not finished,
-- found by workflow and time of creation without reading the finished
-- ones, nor the rows themselves (an index-only scan: the columns the
-- reports need are included). Partial, so an execution is in it only while
-- it runs or waits (test runs never). Built CONCURRENTLY:
-- workflow_executions is large and written all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS workflow_executions_unfinished_idx
    ON workflow_executions (tenant_id, workflow_id, created_at)
    INCLUDE (status, id, contact_id) WHERE status IN ('PENDING', 'RUNNING', 'WAITING') AND NOT test;

-- The fold and the live part of the conversion reports find the events
-- received since a watermark (an event may arrive long after it occurred).
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_received_at_idx ON events (tenant_id, received_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS events_received_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS workflow_executions_unfinished_idx;
DROP TABLE IF EXISTS analytics_goal_firsts;
DROP TABLE IF EXISTS analytics_split_days;
