-- The builder's funnel: executions of one workflow created in a period,
-- counted per status, per node and per transition. Test runs are left out.

-- name: ExecutionCountByStatusInPeriod :many
SELECT status, count(*) AS count FROM workflow_executions
WHERE tenant_id = @tenant_id AND workflow_id = @workflow_id AND NOT test
  AND created_at >= @created_from AND created_at < @created_to
GROUP BY status;

-- name: StepFunnelByNodeStatus :many
-- Executions started in the period that visited each node, per step
-- status (an execution counts once per node and status).
SELECT s.node_id, s.status, count(DISTINCT s.execution_id) AS executions
FROM workflow_executions e
JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
  AND e.created_at >= @created_from AND e.created_at < @created_to
GROUP BY s.node_id, s.status
ORDER BY s.node_id, s.status;

-- name: StepFunnelByNode :many
-- Executions started in the period that entered each node.
SELECT s.node_id, count(DISTINCT s.execution_id) AS executions
FROM workflow_executions e
JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
  AND e.created_at >= @created_from AND e.created_at < @created_to
GROUP BY s.node_id
ORDER BY s.node_id;

-- name: StepFunnelByEdge :many
-- Executions started in the period that went from one node to the next,
-- by the handle taken: a step and the step after it (seq + 1) of the same
-- execution. A retry of the same node is no transition.
SELECT s.node_id AS source, s.handle, n.node_id AS target, count(DISTINCT s.execution_id) AS executions
FROM workflow_executions e
JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
JOIN workflow_execution_steps n ON n.tenant_id = s.tenant_id AND n.execution_id = s.execution_id AND n.seq = s.seq + 1
WHERE e.tenant_id = @tenant_id AND e.workflow_id = @workflow_id AND NOT e.test
  AND e.created_at >= @created_from AND e.created_at < @created_to
  AND n.node_id <> s.node_id
GROUP BY s.node_id, s.handle, n.node_id
ORDER BY s.node_id, s.handle, n.node_id;
