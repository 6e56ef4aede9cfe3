-- +goose Up

-- Broadcasts: one published workflow version run once for every contact
-- of a segment, at a rate (see the PostgreSQL migration).
CREATE TABLE broadcasts (
    id              UUID      NOT NULL PRIMARY KEY,
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name            TEXT      NOT NULL CHECK (name <> ''),
    workflow_id     UUID      NOT NULL,
    version_id      UUID      NOT NULL,
    version         INTEGER   NOT NULL,
    trigger_node_id TEXT      NOT NULL,
    segment_id      UUID      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled')),
    schedule_mode   TEXT      NOT NULL CHECK (schedule_mode IN ('now', 'at', 'contact_local')),
    send_at         TEXT      NOT NULL DEFAULT '',
    timezone        TEXT      NOT NULL DEFAULT 'UTC',
    starts_at       TIMESTAMP NOT NULL,
    rate_per_second INTEGER   NOT NULL CHECK (rate_per_second > 0),
    generation      INTEGER   NOT NULL DEFAULT 1,
    total           INTEGER   NOT NULL DEFAULT 0,
    started         INTEGER   NOT NULL DEFAULT 0,
    skipped         INTEGER   NOT NULL DEFAULT 0,
    last_error      TEXT      NOT NULL DEFAULT '',
    snapshot_at     TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP
);
CREATE UNIQUE INDEX broadcasts_tenant_id_id_key ON broadcasts (tenant_id, id);
CREATE INDEX broadcasts_created_idx ON broadcasts (tenant_id, created_at DESC, id DESC);

-- Recipients: marked in the transaction that starts their execution
-- (state 1 started, 2 skipped).
CREATE TABLE broadcast_recipients (
    tenant_id    UUID      NOT NULL,
    broadcast_id UUID      NOT NULL,
    contact_id   UUID      NOT NULL,
    due_at       TIMESTAMP NOT NULL,
    state        INTEGER   NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    execution_id UUID,
    PRIMARY KEY (tenant_id, broadcast_id, contact_id),
    FOREIGN KEY (tenant_id, broadcast_id) REFERENCES broadcasts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX broadcast_recipients_due_idx ON broadcast_recipients (tenant_id, broadcast_id, due_at, contact_id) WHERE state = 0;
CREATE INDEX broadcast_recipients_contact_idx ON broadcast_recipients (tenant_id, contact_id);

-- +goose Down
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
