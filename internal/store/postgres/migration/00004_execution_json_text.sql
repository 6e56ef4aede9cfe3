-- +goose Up

-- An execution's context and its steps' rendered input and output are
-- written by the engine and read back whole: no query looks inside them.
-- jsonb stores a parsed tree, which for these small documents takes about
-- twice the bytes of their text (a waiting execution's context: 268 bytes
-- as jsonb, about 140 as text) and costs a parse on every write. json keeps
-- the text the engine wrote, checked to be valid JSON.
ALTER TABLE workflow_executions ALTER COLUMN context TYPE json USING context::json;
ALTER TABLE workflow_execution_steps
    ALTER COLUMN input TYPE json USING input::json,
    ALTER COLUMN output TYPE json USING output::json;

-- +goose Down
ALTER TABLE workflow_execution_steps
    ALTER COLUMN input TYPE jsonb USING input::jsonb,
    ALTER COLUMN output TYPE jsonb USING output::jsonb;
ALTER TABLE workflow_executions ALTER COLUMN context TYPE jsonb USING context::jsonb;
