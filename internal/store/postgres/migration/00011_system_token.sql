-- +goose Up

-- The cross-tenant "system" scope of row-level security is no longer a
-- setting any session can switch on. A system transaction sets
-- nextflow.system to its process's token (derived from NEXTFLOW_SECRET_KEY);
-- nextflow_system_on() compares the token's sha256 with the hashes the
-- schema owner registered. Migrate (as the owner) keeps the hashes in
-- nextflow_system_tokens and writes them into the function's body as
-- literals, so the function stays plain SQL that the planner inlines into
-- every policy. The application role can neither read the table nor
-- replace a function it does not own. Until Migrate has run, no token is
-- accepted.
CREATE TABLE nextflow_system_tokens (
    token_hash  bytea PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
REVOKE ALL ON nextflow_system_tokens FROM PUBLIC;

-- +goose StatementBegin
CREATE FUNCTION nextflow_system_on() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT false
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT row_tenant = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR nextflow_system_on()
$$;
-- +goose StatementEnd

ALTER POLICY tenant_isolation ON credentials
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
ALTER POLICY tenant_isolation ON credentials
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION nextflow_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT row_tenant = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on'
$$;
-- +goose StatementEnd

DROP FUNCTION nextflow_system_on();
DROP TABLE nextflow_system_tokens;
