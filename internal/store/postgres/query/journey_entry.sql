-- name: JourneyEntryClaimMany :many
-- Rows are claimed in the order given (the caller sorts them, so two
-- transactions lock shared rows in one order). A row whose policy refuses
-- the entry returns nothing. An execution committed by another transaction
-- after this statement began is invisible here and so counts as running.
-- The latest execution's status is a scalar subquery, one primary-key probe
-- per conflicting row: as EXISTS it could be planned as a hash of every
-- finished execution of the tenant (a plan made under stale statistics).
INSERT INTO journey_entries AS j (tenant_id, workflow_id, contact_id, execution_id, reentry, first_entered_at, entered_at)
SELECT @tenant_id::uuid, unnest(@workflow_ids::uuid[]), unnest(@contact_ids::uuid[]),
    unnest(@execution_ids::uuid[]), unnest(@reentries::text[]), clock_timestamp(), clock_timestamp()
ON CONFLICT (tenant_id, workflow_id, contact_id) DO UPDATE
SET execution_id = excluded.execution_id, reentry = excluded.reentry,
    entries = j.entries + 1, entered_at = excluded.entered_at
WHERE excluded.reentry = 'always'
   OR (excluded.reentry = 'one_at_a_time' AND (j.execution_id IS NULL OR (
        SELECT e.status FROM workflow_executions e
        WHERE e.tenant_id = j.tenant_id AND e.id = j.execution_id) IN ('COMPLETED', 'FAILED', 'CANCELLED')))
RETURNING j.execution_id;

-- name: JourneyEntryGet :one
SELECT * FROM journey_entries
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND contact_id = @contact_id;

-- name: JourneyEntryListByContact :many
SELECT * FROM journey_entries
WHERE tenant_id = @tenant_id AND contact_id = @contact_id
ORDER BY entered_at DESC, workflow_id
LIMIT @max_rows;

-- name: WorkflowActiveVersionList :many
SELECT id, current_version_id, current_version FROM workflows
WHERE tenant_id = @tenant_id AND is_active AND current_version_id IS NOT NULL
ORDER BY id;

-- name: WaitEventContactList :many
-- Which of the names and contacts have waits (contact_id NULL: waits of no
-- contact, which any contact's event may resume).
SELECT DISTINCT event_name, contact_id FROM waits
WHERE tenant_id = @tenant_id AND event_name = ANY(@event_names::text[])
  AND (contact_id IS NULL OR contact_id = ANY(@contact_ids::uuid[]));
