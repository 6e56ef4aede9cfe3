-- name: AuditInsert :exec
INSERT INTO audit_log (id, tenant_id, actor_type, actor_id, action, target_type, target_id, data, ip)
VALUES (@id, @tenant_id, @actor_type, sqlc.narg('actor_id'), @action, @target_type, @target_id, @data, @ip);

-- name: AuditListByTenant :many
SELECT * FROM audit_log
WHERE tenant_id = @tenant_id
  AND id < @before::uuid
ORDER BY id DESC
LIMIT @max_rows;
