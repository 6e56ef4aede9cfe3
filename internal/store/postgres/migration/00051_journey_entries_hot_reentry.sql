-- +goose Up

-- A journey entry's claim wrote its row and two index entries: the key
-- (tenant, contact, workflow) and journey_entries_execution_id_idx. A
-- re-entry (one_at_a_time after the last run ended, or always) changes
-- the entry's execution_id, which that index names, so it was never a HOT
-- update: it locked the row, wrote a new version and an entry in both
-- indexes again (4.4 WAL records per claim in bench events, where a
-- contact enters its journey again every few seconds). The index served
-- one statement only: the workflow_executions_clear_journey_entries
-- trigger (00050), which clears the execution of the entries naming a
-- deleted one. It finds them by the key instead: an entry names an
-- execution of its own workflow and contact (EventTx claims it for the
-- execution it inserts with them, and neither changes afterwards; an
-- erased contact's executions lose their contact, but its entries are
-- deleted with it). With no index on a column a claim changes, and 30% of
-- each page left free (fillfactor 70, for pages written from now on), a
-- re-entry is a HOT update on the entry's own page.
DROP INDEX IF EXISTS journey_entries_execution_id_idx;
ALTER TABLE journey_entries SET (fillfactor = 70);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_clear_execution_journey_entries() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE journey_entries j SET execution_id = NULL
    FROM gone g
    WHERE j.tenant_id = g.tenant_id AND j.contact_id = g.contact_id AND j.workflow_id = g.workflow_id
      AND j.execution_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_clear_execution_journey_entries() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE journey_entries j SET execution_id = NULL
    FROM gone g
    WHERE j.tenant_id = g.tenant_id AND j.execution_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
ALTER TABLE journey_entries RESET (fillfactor);
CREATE INDEX IF NOT EXISTS journey_entries_execution_id_idx ON journey_entries (tenant_id, execution_id) WHERE execution_id IS NOT NULL;
