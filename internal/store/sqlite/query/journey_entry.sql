-- name: JourneyEntryClaim :one
-- A row whose policy refuses the entry returns nothing (sql.ErrNoRows).
INSERT INTO journey_entries AS j (tenant_id, workflow_id, contact_id, execution_id, reentry, entries, first_entered_at, entered_at)
VALUES (@tenant_id, @workflow_id, @contact_id, @execution_id, @reentry, 1, @now, @now)
ON CONFLICT (tenant_id, workflow_id, contact_id) DO UPDATE
SET execution_id = excluded.execution_id, reentry = excluded.reentry,
    entries = j.entries + 1, entered_at = excluded.entered_at
WHERE excluded.reentry = 'always'
   OR (excluded.reentry = 'one_at_a_time' AND (j.execution_id IS NULL OR EXISTS (
        SELECT 1 FROM workflow_executions e
        WHERE e.tenant_id = j.tenant_id AND e.id = j.execution_id
          AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED'))))
RETURNING execution_id;

-- name: JourneyEntryGet :one
SELECT * FROM journey_entries
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND contact_id = @contact_id;

-- name: JourneyEntryListByContact :many
SELECT * FROM journey_entries
WHERE tenant_id = @tenant_id AND contact_id = @contact_id
ORDER BY entered_at DESC, workflow_id
LIMIT @max;

-- name: WorkflowActiveVersionList :many
SELECT id, current_version_id, current_version FROM workflows
WHERE tenant_id = @tenant_id AND is_active AND current_version_id IS NOT NULL
ORDER BY id;

-- name: WaitEventContactList :many
-- Which of the names and contacts (JSON arrays) have waits (contact_id
-- NULL: waits of no contact, which any contact's event may resume).
SELECT DISTINCT event_name, contact_id FROM waits
WHERE tenant_id = @tenant_id AND event_name IN (SELECT value FROM json_each(@event_names))
  AND (contact_id IS NULL OR contact_id IN (SELECT value FROM json_each(@contact_ids)));
