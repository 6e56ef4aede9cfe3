-- +goose Up

-- An execution's foreign key to its version checked every execution
-- inserted (a lookup of the version and a FOR KEY SHARE lock of its row,
-- which concurrent starts of one workflow all take), and its cascade was
-- the only reader of workflow_executions_version_id_idx, an index every
-- start paid for. No statement deletes a version on its own: versions go
-- with their workflow (or tenant), whose cascade deletes the executions
-- through their workflow foreign key, which stays. The engine starts a
-- version it read in the start's transaction (a version of the workflow
-- it names), and the workflow foreign key's lock keeps that workflow, and
-- so its versions, until the start commits.
ALTER TABLE workflow_executions DROP CONSTRAINT IF EXISTS workflow_executions_tenant_id_version_id_fkey;
DROP INDEX IF EXISTS workflow_executions_version_id_idx;

-- +goose Down
CREATE INDEX workflow_executions_version_id_idx ON workflow_executions (version_id);
DELETE FROM workflow_executions e
WHERE NOT EXISTS (SELECT FROM workflow_versions v WHERE v.tenant_id = e.tenant_id AND v.id = e.version_id);
ALTER TABLE workflow_executions ADD CONSTRAINT workflow_executions_tenant_id_version_id_fkey
    FOREIGN KEY (tenant_id, version_id) REFERENCES workflow_versions (tenant_id, id) ON DELETE CASCADE;
