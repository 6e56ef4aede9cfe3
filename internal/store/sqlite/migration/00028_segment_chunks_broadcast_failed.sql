-- +goose Up

-- A whole segment computation runs in chunks of contacts by ID, one short
-- transaction each: when the run in progress began (NULL: none) and the
-- last contact ID it evaluated, where it resumes after a crash.
ALTER TABLE segments ADD COLUMN compute_started_at TIMESTAMP;
ALTER TABLE segments ADD COLUMN compute_cursor UUID;

-- A broadcast ends failed when it cannot go on. SQLite cannot change a
-- CHECK constraint: the table is rebuilt. Its recipients wait in a
-- table without foreign keys meanwhile, so dropping the old table
-- cascades to nothing.
CREATE TABLE broadcasts_v2 (
    id              UUID      NOT NULL PRIMARY KEY,
    tenant_id       UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name            TEXT      NOT NULL CHECK (name <> ''),
    workflow_id     UUID      NOT NULL,
    version_id      UUID      NOT NULL,
    version         INTEGER   NOT NULL,
    trigger_node_id TEXT      NOT NULL,
    segment_id      UUID      NOT NULL,
    status          TEXT      NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')),
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
INSERT INTO broadcasts_v2 SELECT id, tenant_id, name, workflow_id, version_id, version, trigger_node_id, segment_id, status,
    schedule_mode, send_at, timezone, starts_at, rate_per_second, generation, total, started, skipped, last_error,
    snapshot_at, created_at, updated_at, finished_at FROM broadcasts;
CREATE TABLE broadcast_recipients_keep AS SELECT tenant_id, broadcast_id, contact_id, due_at, state, execution_id FROM broadcast_recipients;
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
ALTER TABLE broadcasts_v2 RENAME TO broadcasts;
CREATE UNIQUE INDEX broadcasts_tenant_id_id_key ON broadcasts (tenant_id, id);
CREATE INDEX broadcasts_created_idx ON broadcasts (tenant_id, created_at DESC, id DESC);
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
INSERT INTO broadcast_recipients SELECT * FROM broadcast_recipients_keep;
DROP TABLE broadcast_recipients_keep;
CREATE INDEX broadcast_recipients_due_idx ON broadcast_recipients (tenant_id, broadcast_id, due_at, contact_id) WHERE state = 0;
CREATE INDEX broadcast_recipients_contact_idx ON broadcast_recipients (tenant_id, contact_id);

-- +goose Down
ALTER TABLE segments DROP COLUMN compute_cursor;
ALTER TABLE segments DROP COLUMN compute_started_at;
