"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";

export const scheduleApi = {
  list: async (f: { workflowId?: string } = {}) =>
    (await unwrap(client.GET("/api/v1/schedules", { params: { query: { workflowId: f.workflowId } } }))) ?? [],
  create: (body: { workflowId: string; cron: string; timezone?: string; missedRuns?: "skip" | "catch_up"; active?: boolean }) =>
    unwrap(client.POST("/api/v1/schedules", { body })),
  pause: (id: string) => unwrap(client.POST("/api/v1/schedules/{id}/pause", { params: { path: { id } } })),
  resume: (id: string) => unwrap(client.POST("/api/v1/schedules/{id}/resume", { params: { path: { id } } })),
  runNow: (id: string) => unwrap(client.POST("/api/v1/schedules/{id}/run-now", { params: { path: { id } } })),
  remove: (id: string) => unwrap(client.DELETE("/api/v1/schedules/{id}", { params: { path: { id } } })),
};

export function useSchedules(f: { workflowId?: string } = {}) {
  return useQuery({ queryKey: queryKeys.schedules.list(f), queryFn: () => scheduleApi.list(f), refetchInterval: 30_000 });
}
