-- +goose Up

-- CSV contact imports. The uploaded file is stored in chunks of at most
-- 1 MiB (contact_import_chunks) so any node can run the import job, and
-- deleted when the import ends. bytes_done is the job's checkpoint: the
-- offset where the next row starts, advanced in the transaction that
-- upserts the rows before it, so a job that resumes after a crash neither
-- repeats nor skips a row. Refused rows are kept (up to 1000 per import)
-- in contact_import_errors. Row-level security as on every tenant table.
CREATE TABLE contact_imports (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    status       text NOT NULL CHECK (status IN ('uploading', 'pending', 'running', 'completed', 'failed', 'cancelled')),
    filename     text NOT NULL DEFAULT '',
    delimiter    text NOT NULL DEFAULT ',',
    column_map   jsonb NOT NULL DEFAULT '{}',
    header       jsonb NOT NULL DEFAULT '[]',
    total_bytes  bigint NOT NULL DEFAULT 0,
    total_rows   bigint NOT NULL DEFAULT 0,
    bytes_done   bigint NOT NULL DEFAULT 0,
    rows_done    bigint NOT NULL DEFAULT 0,
    rows_created bigint NOT NULL DEFAULT 0,
    rows_updated bigint NOT NULL DEFAULT 0,
    rows_failed  bigint NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at   timestamptz,
    finished_at  timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE contact_import_chunks (
    tenant_id  uuid NOT NULL,
    import_id  uuid NOT NULL,
    seq        integer NOT NULL,
    start_offset bigint NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (tenant_id, import_id, seq),
    FOREIGN KEY (tenant_id, import_id) REFERENCES contact_imports (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE contact_import_errors (
    tenant_id  uuid NOT NULL,
    import_id  uuid NOT NULL,
    row_number bigint NOT NULL,
    message    text NOT NULL,
    PRIMARY KEY (tenant_id, import_id, row_number),
    FOREIGN KEY (tenant_id, import_id) REFERENCES contact_imports (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE contact_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_imports
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

ALTER TABLE contact_import_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_import_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_import_chunks
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

ALTER TABLE contact_import_errors ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_import_errors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_import_errors
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
DROP TABLE contact_import_errors;
DROP TABLE contact_import_chunks;
DROP TABLE contact_imports;
