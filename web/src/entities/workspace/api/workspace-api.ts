"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, request, unwrap, type Plan, type Tenant } from "@/shared/api";

export const workspaceApi = {
  auditLog: (f: { cursor?: string }) => unwrap(client.GET("/api/v1/audit-log", { params: { query: { cursor: f.cursor, limit: 50 } } })),
  usage: () => unwrap(client.GET("/api/v1/usage")),
  plans: () => unwrap(client.GET("/api/v1/plans")).then((r) => r.plans ?? []),
  setPlan: (plan: Plan) => unwrap(client.PUT("/api/v1/workspace/plan", { body: { plan } })),
  update: (body: { name: string }) => request<Tenant>("PUT", "/api/v1/workspace", { body }),
};

export function useAuditLog(f: { cursor?: string }) {
  return useQuery({ queryKey: queryKeys.auditLog.list(f), queryFn: () => workspaceApi.auditLog(f), placeholderData: (p) => p });
}
/** The workspace's usage this month against its plan's limits. */
export function useUsage() {
  return useQuery({ queryKey: queryKeys.usage, queryFn: workspaceApi.usage });
}
/** Every plan's limits (a static table on the server). */
export function usePlans() {
  return useQuery({ queryKey: queryKeys.plans, queryFn: workspaceApi.plans, staleTime: Infinity });
}
