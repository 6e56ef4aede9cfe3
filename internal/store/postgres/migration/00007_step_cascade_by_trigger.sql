-- +goose Up

-- A step's foreign key to its execution ran a lookup and a FOR KEY SHARE
-- lock of the execution's row for every step written: seven per execution
-- of a five-node journey, about a seventh of the time to start one. The
-- store now checks the reference in the statement that writes the steps
-- (StepInsert, StepInsertMany), and this trigger does what ON DELETE
-- CASCADE did: when executions are deleted (directly, or by the cascade
-- from their workflow or tenant), their steps go in the same statement.
-- The engine writes steps only for an execution it has locked or has just
-- inserted in the same transaction, so no delete can slip between the check
-- and the commit.
ALTER TABLE workflow_execution_steps DROP CONSTRAINT workflow_execution_steps_tenant_id_execution_id_fkey;

-- +goose StatementBegin
CREATE FUNCTION nextflow_delete_execution_steps() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM workflow_execution_steps s USING gone g
    WHERE s.tenant_id = g.tenant_id AND s.execution_id = g.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER workflow_executions_delete_steps AFTER DELETE ON workflow_executions
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION nextflow_delete_execution_steps();

-- +goose Down
DROP TRIGGER workflow_executions_delete_steps ON workflow_executions;
DROP FUNCTION nextflow_delete_execution_steps();
DELETE FROM workflow_execution_steps s
WHERE NOT EXISTS (SELECT FROM workflow_executions e WHERE e.tenant_id = s.tenant_id AND e.id = s.execution_id);
ALTER TABLE workflow_execution_steps ADD CONSTRAINT workflow_execution_steps_tenant_id_execution_id_fkey
    FOREIGN KEY (tenant_id, execution_id) REFERENCES workflow_executions (tenant_id, id) ON DELETE CASCADE;
