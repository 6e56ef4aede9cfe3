-- name: TenantInsert :one
INSERT INTO tenants (id, name, slug, plan, created_at, updated_at)
VALUES (@id, @name, @slug, @plan, @now, @now)
RETURNING *;

-- name: TenantGetByID :one
SELECT * FROM tenants WHERE id = @id;

-- name: TenantGetBySlug :one
SELECT * FROM tenants WHERE slug = @slug;

-- name: TenantUpdate :one
UPDATE tenants
SET name = @name, plan = @plan, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: TenantDelete :execrows
DELETE FROM tenants WHERE id = @id;
