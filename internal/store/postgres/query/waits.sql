-- name: WaitInsert :one
INSERT INTO waits (id, tenant_id, execution_id, node_id, token, event_name, contact_id,
    correlation_value, expires_at)
VALUES (@id, @tenant_id, @execution_id, @node_id, @token, @event_name, sqlc.narg('contact_id'),
    @correlation_value, sqlc.narg('expires_at'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: WaitListByEvent :many
SELECT * FROM waits
WHERE tenant_id = @tenant_id AND event_name = @event_name
  AND (contact_id IS NULL OR contact_id = sqlc.narg('contact_id')::uuid)
  AND (correlation_value = '' OR correlation_value = @correlation_value::text)
ORDER BY id
LIMIT @max_rows;

-- name: WaitDeleteByExecution :execrows
DELETE FROM waits WHERE tenant_id = @tenant_id AND execution_id = @execution_id;
