-- name: APIKeyInsert :one
INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, created_by)
VALUES (@id, @tenant_id, @name, @prefix, @secret_hash, @scopes, sqlc.narg('created_by'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: APIKeyGetByPrefix :one
SELECT * FROM api_keys WHERE prefix = @prefix;

-- name: APIKeyGetByID :one
SELECT * FROM api_keys WHERE tenant_id = @tenant_id AND id = @id;

-- name: APIKeyListByTenant :many
SELECT * FROM api_keys WHERE tenant_id = @tenant_id ORDER BY id DESC;

-- name: APIKeyRevoke :execrows
UPDATE api_keys SET revoked_at = coalesce(revoked_at, @revoked_at)
WHERE tenant_id = @tenant_id AND id = @id;

-- name: APIKeyTouch :execrows
UPDATE api_keys SET last_used_at = @last_used_at
WHERE tenant_id = @tenant_id AND id = @id;
