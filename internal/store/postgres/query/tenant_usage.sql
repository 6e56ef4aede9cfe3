-- name: TenantUsageAdd :one
-- Adds n to a counter unless that takes it past max_used (max_used < 0:
-- no limit). Concurrent adds wait on the row, and each sees the other's
-- committed count before deciding. No row back: refused, nothing written.
INSERT INTO tenant_usage (tenant_id, period, counter, used, max_used)
VALUES (@tenant_id, @period, @counter, @n, @max_used)
ON CONFLICT (tenant_id, period, counter) DO UPDATE
SET used = tenant_usage.used + excluded.used, max_used = excluded.max_used, updated_at = clock_timestamp()
WHERE excluded.max_used < 0 OR tenant_usage.used + excluded.used <= excluded.max_used
RETURNING used;

-- name: TenantUsageGet :one
SELECT used FROM tenant_usage WHERE tenant_id = @tenant_id AND period = @period AND counter = @counter;

-- name: TenantUsageListByPeriod :many
SELECT counter, used FROM tenant_usage
WHERE tenant_id = @tenant_id AND period = @period
ORDER BY counter;

-- name: TenantUsageCountActiveWorkflows :one
SELECT count(*)::bigint FROM workflows WHERE tenant_id = @tenant_id AND is_active;

-- name: TenantUsageCountWorkflows :one
SELECT count(*)::bigint FROM workflows WHERE tenant_id = @tenant_id;

-- name: TenantUsageCountContacts :one
SELECT count(*)::bigint FROM contacts WHERE tenant_id = @tenant_id;

-- name: TenantUsageCountMembers :one
-- Members and the invitations still open.
SELECT ((SELECT count(*) FROM memberships m WHERE m.tenant_id = @tenant_id)
    + (SELECT count(*) FROM invitations i WHERE i.tenant_id = @tenant_id AND i.accepted_at IS NULL AND i.expires_at > @now))::bigint;
