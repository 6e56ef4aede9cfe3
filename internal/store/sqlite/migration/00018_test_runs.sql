-- +goose Up

-- Test runs (#16): an execution started from the builder's "Test run" on
-- the draft is marked, so stats, analytics and plan usage leave it out.
-- The draft it runs is a workflow_versions row numbered below zero (never
-- listed, never current): executions keep pointing at a version.
ALTER TABLE workflow_executions ADD COLUMN test BOOLEAN NOT NULL DEFAULT 0;

-- The workflow's pinned sample data (trigger input, event, contact, test
-- options), saved with the draft and never with a published version.
ALTER TABLE workflows ADD COLUMN test_data TEXT;

-- +goose Down
ALTER TABLE workflows DROP COLUMN test_data;
ALTER TABLE workflow_executions DROP COLUMN test;
