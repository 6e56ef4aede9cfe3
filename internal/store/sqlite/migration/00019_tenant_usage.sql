-- +goose Up

-- Plan usage per workspace: one counter per (period, counter name). A
-- monthly counter (executions, messages) has its period as 'YYYY-MM' (UTC)
-- and is incremented in the transaction that writes what it counts, by a
-- conditional upsert that refuses to pass the plan's limit. A counter of
-- things that exist (active workflows, contacts, members) has the period
-- '' and stays at 0 (on PostgreSQL its row is the lock that serialises
-- the tenant's creators; here the single writer already does).
CREATE TABLE tenant_usage (
    tenant_id  UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    period     TEXT      NOT NULL,
    counter    TEXT      NOT NULL,
    used       INTEGER   NOT NULL DEFAULT 0 CHECK (used >= 0),
    -- max_used is the limit the last add was checked against (-1: none).
    max_used   INTEGER   NOT NULL DEFAULT -1,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, period, counter)
);

-- +goose Down
DROP TABLE tenant_usage;
