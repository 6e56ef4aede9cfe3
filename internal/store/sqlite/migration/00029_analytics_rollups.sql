-- +goose Up

-- Analytics rollups: finished history folded once per tenant, workflow and
-- UTC day by the periodic rollup job (internal/analytics); see the
-- PostgreSQL migration of the same name. Days are 'YYYY-MM-DD' text.
CREATE TABLE analytics_watermarks (
    tenant_id          UUID      NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    executions_through TIMESTAMP NOT NULL,
    messages_through   TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE analytics_execution_days (
    tenant_id   UUID    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id UUID    NOT NULL,
    day         TEXT    NOT NULL,
    started     INTEGER NOT NULL DEFAULT 0,
    completed   INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    cancelled   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, day)
);
CREATE INDEX analytics_execution_days_day_idx ON analytics_execution_days (tenant_id, day);

-- workflow_id is the nil UUID for messages sent outside a workflow.
CREATE TABLE analytics_message_days (
    tenant_id   UUID    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id UUID    NOT NULL,
    channel     TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    total       INTEGER NOT NULL DEFAULT 0,
    sent        INTEGER NOT NULL DEFAULT 0,
    delivered   INTEGER NOT NULL DEFAULT 0,
    read        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    bounced     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, workflow_id, channel, day)
);
CREATE INDEX analytics_message_days_day_idx ON analytics_message_days (tenant_id, day);

CREATE INDEX messages_queued_at_idx ON messages (tenant_id, queued_at);

-- +goose Down
DROP INDEX messages_queued_at_idx;
DROP TABLE analytics_message_days;
DROP TABLE analytics_execution_days;
DROP TABLE analytics_watermarks;
