-- Test runs of a workflow's draft (#16).

-- name: WorkflowTestDataGet :one
SELECT test_data FROM workflows WHERE tenant_id = @tenant_id AND id = @id;

-- name: WorkflowTestDataSet :execrows
-- The pinned sample data is no part of the draft: its revision stays.
UPDATE workflows SET test_data = @test_data WHERE tenant_id = @tenant_id AND id = @id;

-- name: ExecutionMarkTest :execrows
UPDATE workflow_executions SET test = 1 WHERE tenant_id = @tenant_id AND id = @id;
