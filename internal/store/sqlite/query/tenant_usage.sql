-- name: TenantUsageAdd :one
-- Adds n to a counter unless that takes it past max_used (max_used < 0:
-- no limit). SQLite's single writer serialises concurrent adds. No row
-- back: refused, nothing written.
INSERT INTO tenant_usage (tenant_id, period, counter, used, max_used, updated_at)
VALUES (@tenant_id, @period, @counter, @n, @max_used, @now)
ON CONFLICT (tenant_id, period, counter) DO UPDATE
SET used = tenant_usage.used + excluded.used, max_used = excluded.max_used, updated_at = excluded.updated_at
WHERE excluded.max_used < 0 OR tenant_usage.used + excluded.used <= excluded.max_used
RETURNING used;

-- name: TenantUsageGet :one
SELECT used FROM tenant_usage WHERE tenant_id = @tenant_id AND period = @period AND counter = @counter;

-- name: TenantUsageListByPeriod :many
SELECT counter, used FROM tenant_usage
WHERE tenant_id = @tenant_id AND period = @period
ORDER BY counter;

-- name: TenantUsageCountActiveWorkflows :one
SELECT count(*) FROM workflows WHERE tenant_id = @tenant_id AND is_active;

-- name: TenantUsageCountWorkflows :one
SELECT count(*) FROM workflows WHERE tenant_id = @tenant_id;

-- name: TenantUsageCountContacts :one
SELECT count(*) FROM contacts WHERE tenant_id = @tenant_id;

-- name: TenantUsageCountMembers :one
-- Members and the invitations still open.
SELECT CAST((SELECT count(*) FROM memberships m WHERE m.tenant_id = @tenant_id)
    + (SELECT count(*) FROM invitations i WHERE i.tenant_id = @tenant_id AND i.accepted_at IS NULL AND i.expires_at > @now) AS INTEGER);
