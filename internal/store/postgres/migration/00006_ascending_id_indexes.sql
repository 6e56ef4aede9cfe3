-- +goose Up

-- IDs are UUIDv7, so each new row has the largest id of its tenant. In an
-- index ordered by id DESC that is the leftmost leaf, where B-tree page
-- splits leave both halves half full; ordered ascending it is the
-- rightmost leaf, where PostgreSQL splits so as to leave pages full. The
-- listing indexes of executions took about twice their compacted size as
-- written (228 bytes against 127 per execution with 1M executions).
-- PostgreSQL scans an index backwards as readily as forwards, so
-- ORDER BY id DESC is served the same.
DROP INDEX workflow_executions_workflow_id_idx;
CREATE INDEX workflow_executions_workflow_id_idx ON workflow_executions (tenant_id, workflow_id, id);
DROP INDEX workflow_executions_status_idx;
CREATE INDEX workflow_executions_status_idx ON workflow_executions (tenant_id, status, id);
DROP INDEX workflow_executions_contact_id_idx;
CREATE INDEX workflow_executions_contact_id_idx ON workflow_executions (tenant_id, contact_id, id) WHERE contact_id IS NOT NULL;
DROP INDEX audit_log_tenant_id_idx;
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant_id, id);

-- +goose Down
DROP INDEX audit_log_tenant_id_idx;
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant_id, id DESC);
DROP INDEX workflow_executions_contact_id_idx;
CREATE INDEX workflow_executions_contact_id_idx ON workflow_executions (tenant_id, contact_id, id DESC) WHERE contact_id IS NOT NULL;
DROP INDEX workflow_executions_status_idx;
CREATE INDEX workflow_executions_status_idx ON workflow_executions (tenant_id, status, id DESC);
DROP INDEX workflow_executions_workflow_id_idx;
CREATE INDEX workflow_executions_workflow_id_idx ON workflow_executions (tenant_id, workflow_id, id DESC);
