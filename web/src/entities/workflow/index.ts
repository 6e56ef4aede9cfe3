export { workflowApi, useWorkflows, useWorkflow, useNodeTypes, useWorkflowVersions, useWorkflowStats } from "./api/workflow-api";
export { outputHandles, isTrigger, sameHandle, DEFAULT_HANDLE } from "./model/handles";
export { groupByCategory, configSummary } from "./model/catalog";
export { indexProblems, problemsByField } from "./model/problems";
export type { ProblemIndex } from "./model/problems";
export { WorkflowNodeView } from "./ui/workflow-node";
export type { WorkflowNodeViewProps } from "./ui/workflow-node";
export { NodeIcon, nodeAccent } from "./ui/node-icon";
export { WorkflowStatusBadge } from "./ui/status-badge";
