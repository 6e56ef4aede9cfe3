-- name: TenantInsert :one
INSERT INTO tenants (id, name, slug, plan)
VALUES (@id, @name, @slug, @plan)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: TenantGetByID :one
SELECT * FROM tenants WHERE id = @id;

-- name: TenantGetBySlug :one
SELECT * FROM tenants WHERE slug = @slug;

-- name: TenantUpdate :one
UPDATE tenants SET name = @name, plan = @plan, updated_at = clock_timestamp()
WHERE id = @id
RETURNING *;

-- name: TenantDelete :execrows
DELETE FROM tenants WHERE id = @id;
