-- name: EventNameList :many
-- A loose index scan over events_name_idx: one probe per distinct name,
-- however many events carry it.
WITH RECURSIVE names(name) AS (
    SELECT (SELECT e.name FROM events e WHERE e.tenant_id = @tenant_id ORDER BY e.name LIMIT 1)
    UNION ALL
    SELECT (SELECT e.name FROM events e WHERE e.tenant_id = @tenant_id AND e.name > n.name ORDER BY e.name LIMIT 1)
    FROM names n WHERE n.name IS NOT NULL
)
SELECT CAST(names.name AS TEXT) AS name FROM names WHERE names.name IS NOT NULL LIMIT @max_rows;

-- name: EventDeleteBefore :execrows
-- Tenant by tenant through events_occurred_at_idx (its oldest end), so a
-- sweep never scans the table.
DELETE FROM events
WHERE id IN (
    SELECT e.id FROM tenants t JOIN events e ON e.tenant_id = t.id
    WHERE e.occurred_at < @before
    LIMIT @max_rows
);
