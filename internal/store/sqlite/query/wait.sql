-- name: WaitInsert :one
INSERT INTO waits (id, tenant_id, execution_id, node_id, token, event_name, contact_id, correlation_value, expires_at, created_at)
VALUES (@id, @tenant_id, @execution_id, @node_id, @token, @event_name, @contact_id, @correlation_value, @expires_at, @now)
RETURNING *;

-- name: WaitListByEvent :many
SELECT * FROM waits
WHERE tenant_id = @tenant_id AND event_name = @event_name
  AND (contact_id IS NULL OR contact_id = @contact_id)
  AND (correlation_value = '' OR correlation_value = @correlation_value)
ORDER BY id
LIMIT @max;

-- name: WaitDeleteByExecution :execrows
DELETE FROM waits WHERE tenant_id = @tenant_id AND execution_id = @execution_id;
