-- name: NodeRenew :exec
-- The heartbeat of a node that makes calls after start.
INSERT INTO engine_nodes (node_id, renewed_at) VALUES (@node_id, @now)
ON CONFLICT (node_id) DO UPDATE SET renewed_at = excluded.renewed_at;

-- name: NodeListLapsed :many
-- Nodes other than @self whose heartbeat is older than @before (the
-- caller's write transaction holds SQLite's only writer lock).
SELECT node_id, renewed_at FROM engine_nodes
WHERE node_id <> @self AND renewed_at < @before
ORDER BY node_id;

-- name: NodeDelete :exec
DELETE FROM engine_nodes WHERE node_id = @node_id;
