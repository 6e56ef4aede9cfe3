export { workspaceApi, useAuditLog, useUsage } from "./api/workspace-api";
