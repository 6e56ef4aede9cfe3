export { executionApi, useExecutions, useExecution, isLiveStatus } from "./api/execution-api";
export type { ExecutionFilters } from "./api/execution-api";
export { ExecutionStatusBadge } from "./ui/status-badge";
