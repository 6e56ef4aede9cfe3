-- name: MembershipInsert :one
INSERT INTO memberships (tenant_id, user_id, role)
VALUES (@tenant_id, @user_id, @role)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: MembershipGet :one
SELECT * FROM memberships WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: MembershipListByUser :many
SELECT sqlc.embed(m), sqlc.embed(t)
FROM memberships m
JOIN tenants t ON t.id = m.tenant_id
WHERE m.user_id = @user_id
ORDER BY t.name, t.id;

-- name: MembershipListByTenant :many
SELECT sqlc.embed(m), sqlc.embed(u)
FROM memberships m
JOIN users u ON u.id = m.user_id
WHERE m.tenant_id = @tenant_id
ORDER BY m.created_at, m.user_id;

-- name: MembershipUpdateRole :one
UPDATE memberships SET role = @role
WHERE tenant_id = @tenant_id AND user_id = @user_id
RETURNING *;

-- name: MembershipDelete :execrows
DELETE FROM memberships WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: MembershipCountByRole :one
SELECT count(*) FROM memberships WHERE tenant_id = @tenant_id AND role = @role;
