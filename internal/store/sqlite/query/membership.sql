-- name: MembershipInsert :one
INSERT INTO memberships (tenant_id, user_id, role, created_at)
VALUES (@tenant_id, @user_id, @role, @now)
RETURNING *;

-- name: MembershipGet :one
SELECT * FROM memberships WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: MembershipListByUser :many
SELECT sqlc.embed(memberships), sqlc.embed(tenants)
FROM memberships
JOIN tenants ON tenants.id = memberships.tenant_id
WHERE memberships.user_id = @user_id
ORDER BY tenants.name, tenants.id;

-- name: MembershipListByTenant :many
SELECT sqlc.embed(memberships), sqlc.embed(users)
FROM memberships
JOIN users ON users.id = memberships.user_id
WHERE memberships.tenant_id = @tenant_id
ORDER BY memberships.created_at, users.id;

-- name: MembershipUpdateRole :one
UPDATE memberships SET role = @role
WHERE tenant_id = @tenant_id AND user_id = @user_id
RETURNING *;

-- name: MembershipDelete :execrows
DELETE FROM memberships WHERE tenant_id = @tenant_id AND user_id = @user_id;

-- name: MembershipCountByRole :one
SELECT count(*) FROM memberships WHERE tenant_id = @tenant_id AND role = @role;
