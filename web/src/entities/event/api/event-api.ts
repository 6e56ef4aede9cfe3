"use client";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { queryKeys, request, type Page } from "@/shared/api";
import type { EventQuery, TrackedEvent } from "../model/types";

export const eventApi = {
  list: (f: EventQuery & { cursor?: string; limit?: number }) => request<Page<TrackedEvent>>("GET", "/api/v1/events", { query: { ...f } }),
  names: () => request<{ names: string[] | null }>("GET", "/api/v1/events/names", { query: { limit: 500 } }),
};

/**
 * The workspace's events, newest first, 50 a page. `live` polls the first
 * page every few seconds: the server has no event stream (the SSE stream
 * carries execution and step changes only).
 */
export function useEvents(f: EventQuery, { live = false }: { live?: boolean } = {}) {
  return useInfiniteQuery({
    queryKey: queryKeys.events.list({ ...f }),
    queryFn: ({ pageParam }) => eventApi.list({ ...f, cursor: pageParam || undefined, limit: 50 }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    placeholderData: (p) => p,
    // Live while only the first page shows: refetching later pages by their
    // old cursors would shuffle rows under the reader.
    refetchInterval: (q) => (live && (q.state.data?.pages.length ?? 1) <= 1 ? 3_000 : false),
  });
}

/** Event names seen in the workspace, in name order (for filters and the builder's suggestions). */
export function useEventNames({ enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: queryKeys.events.names,
    queryFn: async () => (await eventApi.names()).names ?? [],
    enabled,
    staleTime: 30_000,
    retry: false,
  });
}
