-- +goose Up

-- Calls made after their execution's start (engine/dispatch.go) are made by
-- the process that started the execution. call_node names that process (its
-- node ID) while the call is still its own: written by the start's insert
-- when the call is left to the dispatcher, NULL otherwise, and cleared by
-- every update of the row (the call recorded, handed to a job, the
-- execution moved on). It has no index: a dead node's rows are found
-- through workflow_executions_wake_at_idx (their recovery time is at most
-- the recovery window ahead), so the updates that record calls stay as
-- they were.
ALTER TABLE workflow_executions ADD COLUMN call_node TEXT;

-- engine_nodes: the heartbeat of each process that makes calls after start,
-- renewed every lease interval. A row older than the lease expiry is a dead
-- node: a live node recovers its executions at once (their recovery time
-- moved to now) and deletes the row. A clean shutdown deletes its own row.
-- Not tenant data: read and written in system transactions only.
CREATE TABLE engine_nodes (
    node_id    TEXT PRIMARY KEY,
    renewed_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE engine_nodes;
ALTER TABLE workflow_executions DROP COLUMN call_node;
