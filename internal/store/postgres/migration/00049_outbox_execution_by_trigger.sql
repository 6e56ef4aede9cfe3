-- +goose Up

-- An outbox entry's foreign key to its execution ran a lookup and a KEY
-- SHARE lock of the execution's row for every entry written (the batch
-- insert of a group commit's sends: one per send). The engine writes an
-- entry only for an execution it has locked (FOR UPDATE, in the advance
-- that reaches the side effect) or has just inserted in the same
-- transaction (an eager start), so no delete can slip between the write
-- and its commit: the key checked what the engine's locks already hold.
-- As for the steps (00007), a statement trigger does what ON DELETE
-- CASCADE did: when executions are deleted (directly, or by the cascade
-- from their workflow or tenant), their entries go in the same statement,
-- through outbox_execution_id_idx.
ALTER TABLE outbox DROP CONSTRAINT outbox_tenant_id_execution_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION nextflow_delete_execution_outbox() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM outbox o USING gone g
    WHERE o.execution_id = g.id AND o.tenant_id = g.tenant_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER workflow_executions_delete_outbox AFTER DELETE ON workflow_executions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_delete_execution_outbox();

-- +goose Down
DROP TRIGGER workflow_executions_delete_outbox ON workflow_executions;
DROP FUNCTION nextflow_delete_execution_outbox();
-- The key comes back only over rows it accepts. The policies are forced
-- on the owner too, so they are lifted for the clean-up (in this
-- transaction).
ALTER TABLE outbox NO FORCE ROW LEVEL SECURITY;
ALTER TABLE workflow_executions NO FORCE ROW LEVEL SECURITY;
DELETE FROM outbox o
WHERE NOT EXISTS (SELECT FROM workflow_executions e WHERE e.tenant_id = o.tenant_id AND e.id = o.execution_id);
ALTER TABLE workflow_executions FORCE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE;
