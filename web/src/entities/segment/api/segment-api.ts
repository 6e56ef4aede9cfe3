"use client";
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";
import type { SegmentCondition, SegmentWrite } from "../model/types";

const MEMBERS_PAGE = 50;

/** The segment operations of the API, through the generated client. */
export const segmentApi = {
  list: async () => (await unwrap(client.GET("/api/v1/segments"))).items ?? [],
  get: (id: string) => unwrap(client.GET("/api/v1/segments/{id}", { params: { path: { id } } })),
  create: (body: SegmentWrite) => unwrap(client.POST("/api/v1/segments", { body })),
  replace: (id: string, body: SegmentWrite) => unwrap(client.PUT("/api/v1/segments/{id}", { params: { path: { id } }, body })),
  remove: (id: string) => unwrap(client.DELETE("/api/v1/segments/{id}", { params: { path: { id } } })),
  recompute: (id: string) => unwrap(client.POST("/api/v1/segments/{id}/recompute", { params: { path: { id } } })),
  /** Counts and samples what a definition matches now; nothing is stored. */
  preview: (definition: SegmentCondition, sample = 10, signal?: AbortSignal) =>
    unwrap(client.POST("/api/v1/segments/preview", { body: { definition, sample }, signal })),
  /** One page of a segment's stored members, newest contacts first. */
  members: (id: string, cursor?: string) =>
    unwrap(client.GET("/api/v1/contacts", { params: { query: { segment: id, cursor: cursor || undefined, limit: MEMBERS_PAGE } } })),
};

/** Whether a segment's membership is still being computed for the first time. */
function computing(s: { computedAt?: string }): boolean {
  return !s.computedAt;
}

/** The workspace's segments by name; polled while one waits for its first computation. */
export function useSegments() {
  return useQuery({
    queryKey: queryKeys.segments.list,
    queryFn: segmentApi.list,
    refetchInterval: (q) => (q.state.data?.some(computing) ? 2_000 : 30_000),
  });
}

/** One segment; polled while its first computation is pending. */
export function useSegment(id: string | null) {
  return useQuery({
    queryKey: queryKeys.segments.detail(id ?? ""),
    queryFn: () => segmentApi.get(id!),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && computing(q.state.data) ? 2_000 : 30_000),
  });
}

/**
 * The live count and sample of a definition, keyed by its JSON (null: no
 * complete definition yet, nothing is asked). The last answer stays on
 * screen while the next one loads; a 422 is not retried.
 */
export function useSegmentPreview(definitionJson: string | null, sample = 10) {
  return useQuery({
    queryKey: queryKeys.segments.preview(`${sample}:${definitionJson ?? ""}`),
    queryFn: ({ signal }) => segmentApi.preview(JSON.parse(definitionJson!) as SegmentCondition, sample, signal),
    enabled: definitionJson !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 10_000,
  });
}

/** A segment's stored members, 50 a page, refreshed with the segment. */
export function useSegmentMembers(id: string | null, computedAt?: string) {
  return useInfiniteQuery({
    queryKey: [...queryKeys.segments.members(id ?? ""), computedAt ?? ""],
    queryFn: ({ pageParam }) => segmentApi.members(id!, pageParam || undefined),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    enabled: !!id,
    placeholderData: keepPreviousData,
  });
}

/** The name of one segment from the workspace's list (undefined while loading or for an unknown ID); no request without an ID. */
export function useSegmentName(id: string | null): string | undefined {
  const q = useQuery({
    queryKey: queryKeys.segments.list,
    queryFn: segmentApi.list,
    enabled: !!id,
    staleTime: 30_000,
    select: (items) => items.find((s) => s.id === id)?.name,
  });
  return q.data;
}
