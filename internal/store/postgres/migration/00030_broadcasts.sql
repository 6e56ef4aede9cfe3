-- +goose Up

-- Broadcasts: one published workflow version run once for every contact
-- of a segment, at a rate. The counters and status are written in the
-- transactions that start the executions.
CREATE TABLE broadcasts (
    tenant_id       uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    name            text        NOT NULL CHECK (name <> ''),
    workflow_id     uuid        NOT NULL,
    version_id      uuid        NOT NULL,
    version         integer     NOT NULL,
    trigger_node_id text        NOT NULL,
    segment_id      uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
    schedule_mode   text        NOT NULL CHECK (schedule_mode IN ('now', 'at', 'contact_local')),
    send_at         text        NOT NULL DEFAULT '',
    timezone        text        NOT NULL DEFAULT 'UTC',
    starts_at       timestamptz NOT NULL,
    rate_per_second integer     NOT NULL CHECK (rate_per_second > 0),
    generation      integer     NOT NULL DEFAULT 1,
    total           integer     NOT NULL DEFAULT 0,
    started         integer     NOT NULL DEFAULT 0,
    skipped         integer     NOT NULL DEFAULT 0,
    last_error      text        NOT NULL DEFAULT '',
    snapshot_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX broadcasts_created_idx ON broadcasts (tenant_id, created_at DESC, id DESC);

-- Recipients: the segment's members when the broadcast started, each
-- marked (state 1 started, with its execution; 2 skipped) in the
-- transaction that starts its execution: the claim that makes a broadcast
-- start every contact exactly once. Erasing a contact erases its row.
CREATE TABLE broadcast_recipients (
    tenant_id    uuid        NOT NULL,
    broadcast_id uuid        NOT NULL,
    contact_id   uuid        NOT NULL,
    due_at       timestamptz NOT NULL,
    state        smallint    NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    execution_id uuid,
    PRIMARY KEY (tenant_id, broadcast_id, contact_id),
    FOREIGN KEY (tenant_id, broadcast_id) REFERENCES broadcasts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX broadcast_recipients_due_idx ON broadcast_recipients (tenant_id, broadcast_id, due_at, contact_id) WHERE state = 0;
CREATE INDEX broadcast_recipients_contact_idx ON broadcast_recipients (tenant_id, contact_id);

ALTER TABLE broadcasts ENABLE ROW LEVEL SECURITY;
ALTER TABLE broadcasts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON broadcasts
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER TABLE broadcast_recipients ENABLE ROW LEVEL SECURITY;
ALTER TABLE broadcast_recipients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON broadcast_recipients
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
