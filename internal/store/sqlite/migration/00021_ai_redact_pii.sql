-- +goose Up

-- A workspace may ask that email addresses and phone numbers be blanked
-- from the prompts and answers its AI steps record (besides the named
-- redact_fields).
ALTER TABLE ai_settings ADD COLUMN redact_pii BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE ai_settings DROP COLUMN redact_pii;
