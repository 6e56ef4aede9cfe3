-- +goose NO TRANSACTION
-- +goose Up

-- Analytics rollups: finished history folded once per tenant, workflow and
-- UTC day by the periodic rollup job (internal/analytics), so the reports
-- read a few rows per day instead of every execution and message. The
-- engine never writes here: its transactions stay free of shared counter
-- rows. A report adds the live rows after the tenant's watermark.
--
-- Executions fold once they finished (COMPLETED, FAILED, CANCELLED) before
-- executions_through: started counts on the day the execution was
-- created, the final status on the day it finished. Messages fold by the
-- UTC day they were queued, a whole day at a time once the day is a few
-- days old (messages_through is a midnight): delivery and read receipts
-- arriving later than that are not counted. Retention prunes nothing not
-- yet folded, and never prunes the rollups, so pruned days stay counted.
-- Every statement is idempotent (IF NOT EXISTS): the file runs outside a
-- transaction for the CONCURRENTLY index on messages.
CREATE TABLE IF NOT EXISTS analytics_watermarks (
    tenant_id          uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    executions_through timestamptz NOT NULL DEFAULT '-infinity',
    messages_through   timestamptz NOT NULL DEFAULT '-infinity',
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS analytics_execution_days (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL,
    day         date NOT NULL,
    started     bigint NOT NULL DEFAULT 0,
    completed   bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    cancelled   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, day)
);
CREATE INDEX IF NOT EXISTS analytics_execution_days_day_idx ON analytics_execution_days (tenant_id, day);

-- workflow_id is the nil UUID for messages sent outside a workflow.
CREATE TABLE IF NOT EXISTS analytics_message_days (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id uuid NOT NULL,
    channel     text NOT NULL,
    day         date NOT NULL,
    total       bigint NOT NULL DEFAULT 0,
    sent        bigint NOT NULL DEFAULT 0,
    delivered   bigint NOT NULL DEFAULT 0,
    read        bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    bounced     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, channel, day)
);
CREATE INDEX IF NOT EXISTS analytics_message_days_day_idx ON analytics_message_days (tenant_id, day);

ALTER TABLE analytics_watermarks ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_watermarks FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_watermarks;
CREATE POLICY tenant_isolation ON analytics_watermarks
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE analytics_execution_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_execution_days FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_execution_days;
CREATE POLICY tenant_isolation ON analytics_execution_days
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE analytics_message_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE analytics_message_days FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON analytics_message_days;
CREATE POLICY tenant_isolation ON analytics_message_days
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- The fold and the live part of a report find a tenant's messages by the
-- time they were queued. Built CONCURRENTLY: a plain CREATE INDEX would
-- block the senders' writes for as long as the build takes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS messages_queued_at_idx ON messages (tenant_id, queued_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS messages_queued_at_idx;
DROP TABLE IF EXISTS analytics_message_days;
DROP TABLE IF EXISTS analytics_execution_days;
DROP TABLE IF EXISTS analytics_watermarks;
