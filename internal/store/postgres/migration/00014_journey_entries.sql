-- +goose Up

-- Journey entries: one row per workflow and contact that an event-started
-- execution entered, naming the latest such execution. The row decides
-- trigger.event's re-entry policy, so concurrent events on several nodes
-- cannot double-enter: a start claims the row in its own transaction with
-- INSERT … ON CONFLICT (tenant_id, workflow_id, contact_id) DO UPDATE … WHERE
-- the policy allows it, and a start whose claim returns no row is skipped.
--   once:           a claim never takes an existing row over.
--   one_at_a_time:  a claim takes the row over only when its execution is
--                   visibly COMPLETED, FAILED or CANCELLED (or gone); an
--                   execution another transaction has just committed is not
--                   visible to the claim's snapshot and so counts as
--                   running: at worst a start is skipped, never doubled.
--   always:         a claim always takes the row over.
-- The execution reference is checked at commit (the claim is written
-- before the execution it names) and cleared when the execution is deleted,
-- so `once` outlives execution retention.
CREATE TABLE journey_entries (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id      uuid NOT NULL,
    contact_id       uuid NOT NULL,
    execution_id     uuid,
    reentry          text NOT NULL CHECK (reentry IN ('once', 'one_at_a_time', 'always')),
    entries          integer NOT NULL DEFAULT 1,
    first_entered_at timestamptz NOT NULL,
    entered_at       timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, contact_id),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id)
        ON DELETE SET NULL (execution_id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX journey_entries_contact_id_idx ON journey_entries (tenant_id, contact_id, entered_at DESC);
CREATE INDEX journey_entries_execution_id_idx ON journey_entries (tenant_id, execution_id) WHERE execution_id IS NOT NULL;

ALTER TABLE journey_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE journey_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON journey_entries
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- A wait_for_event with a correlation key resumes only on an event whose
-- properties[correlation_key] equals correlation_value. Waits are found by
-- event name and contact (or no contact) and correlation value.
ALTER TABLE waits ADD COLUMN correlation_key text NOT NULL DEFAULT '';
CREATE INDEX waits_event_contact_idx ON waits (tenant_id, event_name, contact_id, correlation_value);
DROP INDEX waits_event_idx;

-- +goose Down
CREATE INDEX waits_event_idx ON waits (tenant_id, event_name, id);
DROP INDEX waits_event_contact_idx;
ALTER TABLE waits DROP COLUMN correlation_key;
DROP TABLE journey_entries;
