"use client";
import { useQuery } from "@tanstack/react-query";
import {
  queryKeys,
  request,
  type Definition,
  type Execution,
  type NodeType,
  type Page,
  type ValidationProblem,
  type Workflow,
  type WorkflowStats,
  type WorkflowVersion,
} from "@/shared/api";

const base = "/api/v1/workflows";

/** The workflow operations of the API, thin over the generated client. */
export const workflowApi = {
  list: (f: { q?: string; active?: "true" | "false" | ""; cursor?: string; limit?: number } = {}) =>
    request<Page<Workflow>>("GET", base, { query: { search: f.q, active: f.active, cursor: f.cursor, limit: f.limit } }),
  get: (id: string) => request<Workflow>("GET", `${base}/{id}`, { path: { id } }),
  create: (body: { name: string; description?: string; definition?: Definition }) => request<Workflow>("POST", base, { body }),
  update: (id: string, body: { name: string; description?: string; definition?: Definition; revision: number }) =>
    request<Workflow>("PUT", `${base}/{id}`, { path: { id }, body, headers: { "If-Match": `"${body.revision}"` } }),
  remove: (id: string) => request<void>("DELETE", `${base}/{id}`, { path: { id } }),
  duplicate: (id: string) => request<Workflow>("POST", `${base}/{id}/duplicate`, { path: { id } }),
  validate: (id: string, definition?: Definition) =>
    request<{ problems: ValidationProblem[] | null; valid?: boolean }>("POST", `${base}/{id}/validate`, {
      path: { id },
      body: definition ? { definition } : undefined,
    }),
  publish: (id: string) => request<WorkflowVersion>("POST", `${base}/{id}/publish`, { path: { id }, body: {} }),
  versions: async (id: string) => {
    const res = await request<WorkflowVersion[] | Page<WorkflowVersion>>("GET", `${base}/{id}/versions`, { path: { id } });
    return Array.isArray(res) ? res : (res.items ?? []);
  },
  activate: (id: string) => request<Workflow>("POST", `${base}/{id}/activate`, { path: { id }, body: {} }),
  deactivate: (id: string) => request<Workflow>("POST", `${base}/{id}/deactivate`, { path: { id }, body: {} }),
  run: (id: string, body: { input: unknown; contact?: unknown }) =>
    request<Execution>("POST", `${base}/{id}/executions`, { path: { id }, body }),
  stats: (id: string) => request<WorkflowStats>("GET", `${base}/{id}/stats`, { path: { id } }),
  nodeTypes: async () => {
    const res = await request<NodeType[] | { items: NodeType[] | null }>("GET", "/api/v1/node-types");
    return Array.isArray(res) ? res : (res.items ?? []);
  },
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

/** Per-node execution counts for the canvas overlay; absent routes simply show no overlay. */
export function useWorkflowStats(id: string | null, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.workflows.stats(id ?? ""),
    queryFn: () => workflowApi.stats(id!),
    enabled: !!id && enabled,
    refetchInterval: 10_000,
    retry: false,
  });
}
