-- name: OutboxInsert :one
INSERT INTO outbox (id, tenant_id, execution_id, step_id, idempotency_key, kind, status, request)
VALUES (@id, @tenant_id, @execution_id, @step_id, @idempotency_key, @kind, 'PENDING', @request)
ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
RETURNING *;

-- name: OutboxGetByKey :one
SELECT * FROM outbox WHERE tenant_id = @tenant_id AND idempotency_key = @idempotency_key;

-- name: OutboxUpdate :execrows
UPDATE outbox
SET status = @status, attempts = @attempts, response = @response, error = @error, updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: OutboxAttempt :one
UPDATE outbox
SET attempts = attempts + 1, attempted_at = clock_timestamp(), updated_at = clock_timestamp()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING attempts;

-- name: OutboxListByExecution :many
SELECT * FROM outbox WHERE tenant_id = @tenant_id AND execution_id = @execution_id ORDER BY created_at, id;
