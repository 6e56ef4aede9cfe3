-- name: WaitInsert :one
INSERT INTO waits (id, tenant_id, execution_id, node_id, token, event_name, contact_id, correlation_key, correlation_value, expires_at, created_at)
VALUES (@id, @tenant_id, @execution_id, @node_id, @token, @event_name, @contact_id, @correlation_key, @correlation_value, @expires_at, @now)
RETURNING *;

-- name: WaitListByEvent :many
-- A wait without a correlation value matches any event; one with a key
-- matches an event whose property of that name has its value (pairs is a
-- JSON array of the event's "key<US>value" strings); one with a value and
-- no key (legacy) matches @correlation_value.
SELECT * FROM waits
WHERE tenant_id = @tenant_id AND event_name = @event_name
  AND (contact_id IS NULL OR contact_id = @contact_id)
  AND (correlation_value = ''
    OR (correlation_key = '' AND correlation_value = @correlation_value)
    OR (correlation_key <> '' AND correlation_key || char(31) || correlation_value IN (SELECT value FROM json_each(@correlation_pairs))))
ORDER BY id
LIMIT @max;

-- name: WaitDeleteByExecution :execrows
DELETE FROM waits WHERE tenant_id = @tenant_id AND execution_id = @execution_id;
