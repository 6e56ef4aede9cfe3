-- +goose Up

-- Plan usage per workspace: one counter per (period, counter name). A
-- monthly counter (executions, messages) has its period as 'YYYY-MM' (UTC)
-- and is incremented in the transaction that writes what it counts, by a
-- conditional upsert that refuses to pass the plan's limit, so two
-- transactions cannot both take the last unit. A counter of things that
-- exist (active workflows, contacts, members) has the period '' and stays
-- at 0: its row is the lock that serialises the tenant's creators while
-- they count the rows themselves.
CREATE TABLE tenant_usage (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    period     text NOT NULL,
    counter    text NOT NULL,
    used       bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
    -- max_used is the limit the last add was checked against (-1: none).
    max_used   bigint NOT NULL DEFAULT -1,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, period, counter)
);

ALTER TABLE tenant_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_usage
    USING (nextflow_tenant_visible(tenant_id)) WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE tenant_usage;
