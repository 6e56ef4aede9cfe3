-- name: StepInsert :one
INSERT INTO workflow_execution_steps (
    id, tenant_id, execution_id, seq, node_id, node_type, status, attempt, input, output, error, handle, started_at, finished_at
) VALUES (
    @id, @tenant_id, @execution_id, @seq, @node_id, @node_type, @status, @attempt, @input, @output, @error, @handle, @started_at, @finished_at
)
RETURNING *;

-- name: StepUpdate :execrows
UPDATE workflow_execution_steps
SET status = @status, attempt = @attempt, output = @output, error = @error, handle = @handle, finished_at = @finished_at
WHERE tenant_id = @tenant_id AND execution_id = @execution_id AND seq = @seq;

-- name: StepGet :one
SELECT * FROM workflow_execution_steps WHERE tenant_id = @tenant_id AND execution_id = @execution_id AND seq = @seq;

-- name: StepListByExecution :many
SELECT * FROM workflow_execution_steps
WHERE tenant_id = @tenant_id AND execution_id = @execution_id
ORDER BY seq, id;

-- name: StepCountByNode :many
SELECT s.node_id, s.status, count(*) AS count
FROM workflow_execution_steps s
JOIN workflow_executions e ON e.id = s.execution_id
WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND s.tenant_id = @tenant_id AND e.test = 0
GROUP BY s.node_id, s.status
ORDER BY s.node_id, s.status;
