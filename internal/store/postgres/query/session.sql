-- name: SessionInsert :one
INSERT INTO sessions (id, user_id, token_hash, active_tenant_id, user_agent, ip, expires_at)
VALUES (@id, @user_id, @token_hash, sqlc.narg('active_tenant_id'), @user_agent, @ip, @expires_at)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: SessionGetByTokenHash :one
SELECT * FROM sessions
WHERE token_hash = @token_hash AND revoked_at IS NULL AND expires_at > @now;

-- name: SessionTouch :execrows
UPDATE sessions SET last_seen_at = @last_seen_at WHERE id = @id;

-- name: SessionSetActiveTenant :execrows
UPDATE sessions SET active_tenant_id = sqlc.narg('active_tenant_id') WHERE id = @id;

-- name: SessionRevoke :execrows
UPDATE sessions SET revoked_at = coalesce(revoked_at, @revoked_at) WHERE id = @id;

-- name: SessionRevokeAllByUser :execrows
UPDATE sessions SET revoked_at = @revoked_at WHERE user_id = @user_id AND revoked_at IS NULL;
