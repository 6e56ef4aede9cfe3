-- +goose Up

-- A journey entry's foreign key to its execution (deferred: the claim is
-- written before the execution it names) ran, at every commit of event
-- starts, a lookup and a KEY SHARE lock of the execution's row for each
-- entry claimed: one per event-started execution, queued as an after
-- trigger event and run one by one at commit. The engine claims an entry
-- only for an execution it inserts in the same transaction (EventTx:
-- JourneyEntryClaimMany then StartManyTx, whose failure fails the
-- transaction), so no other transaction sees the entry before its
-- execution, nor can delete the execution in between: the key checked
-- what the engine's transaction already guarantees.
-- As for the steps (00007) and the outbox (00049), a statement trigger
-- does what ON DELETE SET NULL (execution_id) did: when executions are
-- deleted (by retention, or by the cascade from their workflow or tenant),
-- the entries naming them keep their row with execution_id NULL in the
-- same statement, through journey_entries_execution_id_idx. The claim's
-- one_at_a_time policy reads NULL as gone; an execution_id with no
-- visible row still counts as running (an execution committed after the
-- claim's snapshot), so the entry must not be left naming a deleted one.
ALTER TABLE journey_entries DROP CONSTRAINT journey_entries_tenant_id_execution_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION nextflow_clear_execution_journey_entries() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE journey_entries j SET execution_id = NULL
    FROM gone g
    WHERE j.tenant_id = g.tenant_id AND j.execution_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER workflow_executions_clear_journey_entries AFTER DELETE ON workflow_executions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_clear_execution_journey_entries();

-- +goose Down
DROP TRIGGER workflow_executions_clear_journey_entries ON workflow_executions;
DROP FUNCTION nextflow_clear_execution_journey_entries();
-- The key comes back only over rows it accepts: an entry naming an
-- execution that is not there is cleared, as the key's ON DELETE SET NULL
-- would have done. The policies are forced on the owner too, so they are
-- lifted for the clean-up (in this transaction).
ALTER TABLE journey_entries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE workflow_executions NO FORCE ROW LEVEL SECURITY;
UPDATE journey_entries j SET execution_id = NULL
WHERE j.execution_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM workflow_executions e WHERE e.tenant_id = j.tenant_id AND e.id = j.execution_id);
ALTER TABLE workflow_executions FORCE ROW LEVEL SECURITY;
ALTER TABLE journey_entries FORCE ROW LEVEL SECURITY;
ALTER TABLE journey_entries ADD CONSTRAINT journey_entries_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id)
    ON DELETE SET NULL (execution_id) DEFERRABLE INITIALLY DEFERRED;
