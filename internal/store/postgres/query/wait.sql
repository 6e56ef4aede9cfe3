-- name: WaitInsert :one
INSERT INTO waits (id, tenant_id, execution_id, node_id, token, event_name, contact_id,
    correlation_key, correlation_value, expires_at)
VALUES (@id, @tenant_id, @execution_id, @node_id, @token, @event_name, sqlc.narg('contact_id'),
    @correlation_key, @correlation_value, sqlc.narg('expires_at'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: WaitListByEvent :many
-- A wait without a correlation value matches any event; one with a key
-- matches an event whose property of that name has its value (pairs holds
-- the event's "key<US>value" pairs); one with a value and no key (legacy)
-- matches @correlation_value.
SELECT * FROM waits
WHERE tenant_id = @tenant_id AND event_name = @event_name
  AND (contact_id IS NULL OR contact_id = sqlc.narg('contact_id')::uuid)
  AND (correlation_value = ''
    OR (correlation_key = '' AND correlation_value = @correlation_value::text)
    OR (correlation_key <> '' AND correlation_value = ANY(@correlation_values::text[])
        AND correlation_key || chr(31) || correlation_value = ANY(@correlation_pairs::text[])))
ORDER BY id
LIMIT @max_rows;

-- name: WaitDeleteByExecution :execrows
DELETE FROM waits WHERE tenant_id = @tenant_id AND execution_id = @execution_id;
