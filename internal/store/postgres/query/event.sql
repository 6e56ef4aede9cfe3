-- name: EventList :many
SELECT * FROM events
WHERE tenant_id = @tenant_id
  AND (sqlc.narg('name')::text IS NULL OR name = sqlc.narg('name')::text)
  AND (sqlc.narg('contact_id')::uuid IS NULL OR contact_id = sqlc.narg('contact_id')::uuid)
  AND (sqlc.narg('from_at')::timestamptz IS NULL OR occurred_at >= sqlc.narg('from_at')::timestamptz)
  AND (sqlc.narg('to_at')::timestamptz IS NULL OR occurred_at < sqlc.narg('to_at')::timestamptz)
  AND (sqlc.narg('after_at')::timestamptz IS NULL
    OR (occurred_at, id) < (sqlc.narg('after_at')::timestamptz, @after_id::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT @max_rows;

-- name: EventNameList :many
-- A loose index scan over events_name_idx: one probe per distinct name,
-- however many events carry it.
WITH RECURSIVE names AS (
    (SELECT e.name FROM events e WHERE e.tenant_id = @tenant_id ORDER BY e.name LIMIT 1)
    UNION ALL
    SELECT (SELECT e.name FROM events e WHERE e.tenant_id = @tenant_id AND e.name > n.name ORDER BY e.name LIMIT 1)
    FROM names n WHERE n.name IS NOT NULL
)
SELECT names.name::text AS name FROM names WHERE names.name IS NOT NULL LIMIT @max_rows;

-- name: EventDeleteBefore :execrows
-- Tenant by tenant through events_occurred_at_idx (its oldest end), so a
-- sweep never scans the table.
DELETE FROM events
WHERE (tenant_id, id) IN (
    SELECT old.tenant_id, old.id FROM tenants t
    CROSS JOIN LATERAL (
        SELECT e.tenant_id, e.id FROM events e
        WHERE e.tenant_id = t.id AND e.occurred_at < @before::timestamptz
        ORDER BY e.occurred_at LIMIT @max_rows
    ) AS old
    LIMIT @max_rows
);
