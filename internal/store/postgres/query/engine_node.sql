-- name: NodeRenew :exec
-- The heartbeat of a node that makes calls after start, at the database's
-- clock (every node is judged by the same clock).
INSERT INTO engine_nodes (node_id, renewed_at) VALUES (@node_id, clock_timestamp())
ON CONFLICT (node_id) DO UPDATE SET renewed_at = excluded.renewed_at;

-- name: NodeListLapsed :many
-- Nodes other than @self whose heartbeat is older than @expiry_seconds,
-- locked, skipping those another sweeper holds.
SELECT node_id, renewed_at FROM engine_nodes
WHERE node_id <> @self::text AND renewed_at < clock_timestamp() - make_interval(secs => @expiry_seconds::float8)
ORDER BY node_id
FOR UPDATE SKIP LOCKED;

-- name: NodeDelete :exec
DELETE FROM engine_nodes WHERE node_id = @node_id;
