-- +goose Up

-- CSV contact imports. The uploaded file is stored in chunks of at most
-- 1 MiB (contact_import_chunks) and deleted when the import ends.
-- bytes_done is the job's checkpoint: the offset where the next row
-- starts, advanced in the transaction that upserts the rows before it.
-- Refused rows are kept (up to 1000 per import) in contact_import_errors.
CREATE TABLE contact_imports (
    id           UUID      NOT NULL PRIMARY KEY,
    tenant_id    UUID      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    status       TEXT      NOT NULL,
    filename     TEXT      NOT NULL,
    delimiter    TEXT      NOT NULL,
    column_map   TEXT      NOT NULL,
    header       TEXT      NOT NULL,
    total_bytes  INTEGER   NOT NULL DEFAULT 0,
    total_rows   INTEGER   NOT NULL DEFAULT 0,
    bytes_done   INTEGER   NOT NULL DEFAULT 0,
    rows_done    INTEGER   NOT NULL DEFAULT 0,
    rows_created INTEGER   NOT NULL DEFAULT 0,
    rows_updated INTEGER   NOT NULL DEFAULT 0,
    rows_failed  INTEGER   NOT NULL DEFAULT 0,
    error        TEXT      NOT NULL DEFAULT '',
    created_by   UUID      REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP
);
CREATE INDEX contact_imports_tenant_idx ON contact_imports (tenant_id, id);

CREATE TABLE contact_import_chunks (
    tenant_id  UUID    NOT NULL,
    import_id  UUID    NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, import_id, seq)
);

CREATE TABLE contact_import_errors (
    tenant_id  UUID    NOT NULL,
    import_id  UUID    NOT NULL REFERENCES contact_imports (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    message    TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, import_id, row_number)
);

-- +goose Down
DROP TABLE contact_import_errors;
DROP TABLE contact_import_chunks;
DROP TABLE contact_imports;
