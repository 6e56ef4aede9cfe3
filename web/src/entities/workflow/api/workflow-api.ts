"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap, type Definition, type NodeType } from "@/shared/api";

/** The period the builder's funnel counts executions in (RFC 3339; both open means all time). */
export interface StatsPeriod {
  from?: string;
  to?: string;
}

/** The workflow operations of the API, through the generated client. */
export const workflowApi = {
  list: (f: { q?: string; active?: "true" | "false" | ""; cursor?: string; limit?: number } = {}) =>
    unwrap(
      client.GET("/api/v1/workflows", {
        params: { query: { search: f.q || undefined, active: f.active || undefined, cursor: f.cursor, limit: f.limit } },
      }),
    ),
  get: (id: string) => unwrap(client.GET("/api/v1/workflows/{id}", { params: { path: { id } } })),
  create: (body: { name: string; description?: string; definition?: Definition }) => unwrap(client.POST("/api/v1/workflows", { body })),
  update: (id: string, body: { name: string; description?: string; definition?: Definition; revision: number }) =>
    unwrap(client.PUT("/api/v1/workflows/{id}", { params: { path: { id } }, body })),
  remove: (id: string) => unwrap(client.DELETE("/api/v1/workflows/{id}", { params: { path: { id } } })),
  duplicate: (id: string) => unwrap(client.POST("/api/v1/workflows/{id}/duplicate", { params: { path: { id } } })),
  validate: (id: string, definition?: Definition) =>
    unwrap(client.POST("/api/v1/workflows/{id}/validate", { params: { path: { id } }, body: definition ? { definition } : undefined })),
  publish: (id: string) => unwrap(client.POST("/api/v1/workflows/{id}/publish", { params: { path: { id } } })),
  versions: async (id: string) => (await unwrap(client.GET("/api/v1/workflows/{id}/versions", { params: { path: { id } } }))) ?? [],
  restore: (id: string, version: number) =>
    unwrap(client.POST("/api/v1/workflows/{id}/versions/{version}/restore", { params: { path: { id, version } } })),
  activate: (id: string) => unwrap(client.POST("/api/v1/workflows/{id}/activate", { params: { path: { id } } })),
  deactivate: (id: string) => unwrap(client.POST("/api/v1/workflows/{id}/deactivate", { params: { path: { id } }, body: {} })),
  run: (id: string, body: { input?: Record<string, unknown>; contact?: Record<string, unknown> }) =>
    unwrap(client.POST("/api/v1/workflows/{id}/executions", { params: { path: { id } }, body })),
  stats: (id: string, period: StatsPeriod = {}) =>
    unwrap(client.GET("/api/v1/workflows/{id}/stats", { params: { path: { id }, query: { from: period.from, to: period.to } } })),
  exportJson: (id: string) => unwrap(client.GET("/api/v1/workflows/{id}/export", { params: { path: { id } } })),
  importJson: (body: { name: string; description?: string; definition: Definition }) => unwrap(client.POST("/api/v1/workflows/import", { body })),
  starters: async () => (await unwrap(client.GET("/api/v1/workflow-starters"))).items ?? [],
  nodeTypes: async (): Promise<NodeType[]> => (await unwrap(client.GET("/api/v1/node-types"))) ?? [],
};

export function useWorkflows(filters: { q?: string; active?: "true" | "false" | "" } = {}) {
  return useQuery({ queryKey: queryKeys.workflows.list(filters), queryFn: () => workflowApi.list({ ...filters, limit: 100 }) });
}

export function useWorkflow(id: string | null) {
  return useQuery({
    queryKey: queryKeys.workflows.detail(id ?? ""),
    queryFn: () => workflowApi.get(id!),
    enabled: !!id,
    // The builder owns the draft while it is open: no background refetch that would fight the editor.
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });
}

export function useNodeTypes() {
  return useQuery({ queryKey: queryKeys.nodeTypes, queryFn: workflowApi.nodeTypes, staleTime: 10 * 60_000 });
}

export function useWorkflowVersions(id: string | null) {
  return useQuery({ queryKey: queryKeys.workflows.versions(id ?? ""), queryFn: () => workflowApi.versions(id!), enabled: !!id });
}

/** The funnel of a period for the canvas overlay; absent routes simply show no overlay. */
export function useWorkflowStats(id: string | null, enabled: boolean, period: StatsPeriod = {}) {
  return useQuery({
    queryKey: [...queryKeys.workflows.stats(id ?? ""), period],
    queryFn: () => workflowApi.stats(id!, period),
    placeholderData: (prev) => prev,
    enabled: !!id && enabled,
    refetchInterval: 10_000,
    retry: false,
  });
}

/** The starter journeys a new workflow can begin from. */
export function useWorkflowStarters(enabled = true) {
  return useQuery({ queryKey: [...queryKeys.workflows.all, "starters"], queryFn: workflowApi.starters, staleTime: Infinity, enabled });
}
