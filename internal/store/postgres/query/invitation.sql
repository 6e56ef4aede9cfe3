-- name: InvitationInsert :one
INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, expires_at)
VALUES (@id, @tenant_id, @email, @role, @token_hash, @invited_by, @expires_at)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: InvitationGetByTokenHash :one
SELECT * FROM invitations WHERE token_hash = @token_hash;

-- name: InvitationGetByID :one
SELECT * FROM invitations WHERE tenant_id = @tenant_id AND id = @id;

-- name: InvitationListByTenant :many
SELECT * FROM invitations WHERE tenant_id = @tenant_id ORDER BY id DESC;

-- name: InvitationMarkAccepted :execrows
UPDATE invitations SET accepted_at = @accepted_at
WHERE tenant_id = @tenant_id AND id = @id;

-- name: InvitationDelete :execrows
DELETE FROM invitations WHERE tenant_id = @tenant_id AND id = @id;
