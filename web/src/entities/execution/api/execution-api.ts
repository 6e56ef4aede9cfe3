"use client";
import { useQuery } from "@tanstack/react-query";
import { queryKeys, request, type Execution, type Page } from "@/shared/api";

export interface ExecutionFilters {
  workflowId?: string;
  status?: string;
  contactId?: string;
  cursor?: string;
}

export const executionApi = {
  list: (f: ExecutionFilters & { limit?: number }) => request<Page<Execution>>("GET", "/api/v1/executions", { query: { ...f } }),
  get: (id: string) => request<Execution>("GET", "/api/v1/executions/{id}", { path: { id } }),
  cancel: (id: string) => request<Execution>("POST", "/api/v1/executions/{id}/cancel", { path: { id }, body: {} }),
  retry: (id: string) => request<Execution>("POST", "/api/v1/executions/{id}/retry", { path: { id }, body: {} }),
};

const live = (status?: string) => status === "PENDING" || status === "RUNNING" || status === "WAITING";

export function useExecutions(f: ExecutionFilters) {
  return useQuery({
    queryKey: queryKeys.executions.list({ ...f }),
    queryFn: () => executionApi.list({ ...f, limit: 50 }),
    // The SSE stream invalidates this; polling is the fallback when it is down.
    refetchInterval: 15_000,
  });
}

export function useExecution(id: string | null) {
  return useQuery({
    queryKey: queryKeys.executions.detail(id ?? ""),
    queryFn: () => executionApi.get(id!),
    enabled: !!id,
    refetchInterval: (q) => (live(q.state.data?.status) ? 3_000 : false),
  });
}

export { live as isLiveStatus };
