"use client";
import { useQuery } from "@tanstack/react-query";
import { queryKeys, request } from "@/shared/api";
import { isBroadcastActive, type Broadcast, type BroadcastCreate } from "../model/types";

/**
 * The broadcast routes. Called through `request` until api/openapi.json
 * lists them; the types switch to the generated ones on `npm run generate`.
 */
export const broadcastApi = {
  list: async () => (await request<{ items: Broadcast[] | null }>("GET", "/api/v1/broadcasts", { query: { limit: 100 } })).items ?? [],
  get: (id: string) => request<Broadcast>("GET", "/api/v1/broadcasts/{id}", { path: { id } }),
  create: (body: BroadcastCreate) => request<Broadcast>("POST", "/api/v1/broadcasts", { body }),
  pause: (id: string) => request<Broadcast>("POST", "/api/v1/broadcasts/{id}/pause", { path: { id } }),
  resume: (id: string) => request<Broadcast>("POST", "/api/v1/broadcasts/{id}/resume", { path: { id } }),
  cancel: (id: string) => request<Broadcast>("POST", "/api/v1/broadcasts/{id}/cancel", { path: { id } }),
};

/** Broadcasts, newest first; polled every 2 s while one is scheduled or running. */
export function useBroadcasts() {
  return useQuery({
    queryKey: queryKeys.broadcasts.list,
    queryFn: broadcastApi.list,
    refetchInterval: (q) => (q.state.data?.some((b) => isBroadcastActive(b.status)) ? 2_000 : 30_000),
  });
}

/** One broadcast; polled every second while it is scheduled or running. */
export function useBroadcast(id: string | null) {
  return useQuery({
    queryKey: queryKeys.broadcasts.detail(id ?? ""),
    queryFn: () => broadcastApi.get(id!),
    enabled: !!id,
    refetchInterval: (q) => (isBroadcastActive(q.state.data?.status) ? 1_000 : false),
  });
}
