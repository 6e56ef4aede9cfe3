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
