-- +goose Up

-- Journey entries: one row per workflow and contact that an event-started
-- execution entered, naming the latest such execution; the row decides
-- trigger.event's re-entry policy (see the PostgreSQL migration
-- 00014_journey_entries.sql). A start claims the row with INSERT … ON
-- CONFLICT DO UPDATE … WHERE the policy allows it; a claim that returns no
-- row is skipped. The execution reference is checked at commit and cleared
-- when the execution is deleted.
CREATE TABLE journey_entries (
    tenant_id        UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    workflow_id      UUID      NOT NULL,
    contact_id       UUID      NOT NULL,
    execution_id     UUID      REFERENCES workflow_executions (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    reentry          TEXT      NOT NULL CHECK (reentry IN ('once', 'one_at_a_time', 'always')),
    entries          INTEGER   NOT NULL DEFAULT 1,
    first_entered_at TIMESTAMP NOT NULL,
    entered_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, workflow_id, contact_id),
    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX journey_entries_contact_id_idx ON journey_entries (tenant_id, contact_id, entered_at DESC);
CREATE INDEX journey_entries_execution_id_idx ON journey_entries (execution_id) WHERE execution_id IS NOT NULL;

-- A wait_for_event with a correlation key resumes only on an event whose
-- properties[correlation_key] equals correlation_value.
ALTER TABLE waits ADD COLUMN correlation_key TEXT NOT NULL DEFAULT '';
CREATE INDEX waits_event_contact_idx ON waits (tenant_id, event_name, contact_id, correlation_value);
DROP INDEX waits_event_name_idx;

-- +goose Down
CREATE INDEX waits_event_name_idx ON waits (tenant_id, event_name, id);
DROP INDEX waits_event_contact_idx;
ALTER TABLE waits DROP COLUMN correlation_key;
DROP TABLE journey_entries;
