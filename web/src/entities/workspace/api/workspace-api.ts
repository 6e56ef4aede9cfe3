"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, request, unwrap, type Tenant, type Usage } from "@/shared/api";

export const workspaceApi = {
  auditLog: (f: { cursor?: string }) => unwrap(client.GET("/api/v1/audit-log", { params: { query: { cursor: f.cursor, limit: 50 } } })),
  usage: () => request<Usage>("GET", "/api/v1/usage"),
  update: (body: { name: string }) => request<Tenant>("PUT", "/api/v1/workspace", { body }),
};

export function useAuditLog(f: { cursor?: string }) {
  return useQuery({ queryKey: queryKeys.auditLog.list(f), queryFn: () => workspaceApi.auditLog(f), placeholderData: (p) => p });
}
export function useUsage() {
  return useQuery({ queryKey: queryKeys.usage, queryFn: workspaceApi.usage, retry: false });
}
