"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";

export interface ExecutionFilters {
  workflowId?: string;
  status?: string;
  contactId?: string;
  /** With nodeId: the runs with a step at that node, in these step statuses, that left by this handle. */
  nodeId?: string;
  nodeStatus?: string;
  handle?: string;
  from?: string;
  to?: string;
  /** "true": only test runs of drafts; "false": only real executions. */
  test?: "true" | "false";
  cursor?: string;
}

export const executionApi = {
  list: (f: ExecutionFilters & { limit?: number }) =>
    unwrap(
      client.GET("/api/v1/executions", {
        params: {
          query: {
            workflowId: f.workflowId,
            status: f.status as never,
            contactId: f.contactId,
            nodeId: f.nodeId,
            nodeStatus: f.nodeStatus,
            handle: f.handle,
            from: f.from,
            to: f.to,
            test: f.test,
            cursor: f.cursor,
            limit: f.limit,
          },
        },
      }),
    ),
  get: (id: string) => unwrap(client.GET("/api/v1/executions/{id}", { params: { path: { id } } })),
  cancel: (id: string) => unwrap(client.POST("/api/v1/executions/{id}/cancel", { params: { path: { id } } })),
  retry: (id: string) => unwrap(client.POST("/api/v1/executions/{id}/retry", { params: { path: { id } } })),
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
