-- +goose Up

-- A workspace may ask that email addresses and phone numbers be blanked
-- from the prompts and answers its AI steps record (besides the named
-- redact_fields).
ALTER TABLE ai_settings ADD COLUMN redact_pii boolean NOT NULL DEFAULT false;

-- The AI tables' policies use the system scope of 00011 (a registered
-- token), not the bare nextflow.system = 'on' any session could set: the
-- secret-key rotation reads every workspace's sealed AI key in it.
ALTER POLICY tenant_isolation ON ai_settings
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));
ALTER POLICY tenant_isolation ON ai_usage
    USING (nextflow_tenant_visible(tenant_id))
    WITH CHECK (nextflow_tenant_visible(tenant_id));

-- +goose Down
ALTER POLICY tenant_isolation ON ai_usage
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');
ALTER POLICY tenant_isolation ON ai_settings
    USING (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on')
    WITH CHECK (tenant_id = nullif(current_setting('nextflow.tenant_id', true), '')::uuid
        OR coalesce(current_setting('nextflow.system', true), '') = 'on');
ALTER TABLE ai_settings DROP COLUMN redact_pii;
