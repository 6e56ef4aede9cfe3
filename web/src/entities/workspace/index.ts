export { workspaceApi, useAuditLog, useUsage, usePlans } from "./api/workspace-api";
export { limitLabel, formatLimit, usageShare } from "./lib/limits";
