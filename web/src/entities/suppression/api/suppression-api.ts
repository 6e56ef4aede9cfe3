"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { queryKeys, request, type Page } from "@/shared/api";
import type { Suppression, SuppressionChannel, SuppressionQuery, SuppressionReason } from "../model/types";

const PAGE = 50;

/** Calls of the suppression routes. */
export const suppressionApi = {
  list: (q: SuppressionQuery & { cursor?: string; limit?: number }) => request<Page<Suppression>>("GET", "/api/v1/suppressions", { query: { ...q } }),
  create: (body: { channel: SuppressionChannel; address: string; reason?: SuppressionReason }) =>
    request<Suppression>("POST", "/api/v1/suppressions", { body }),
  /** Lifts the address on its channel. */
  remove: (s: Pick<Suppression, "channel" | "address">) =>
    request<void>("DELETE", "/api/v1/suppressions/{address}", { path: { address: s.address }, query: { channel: s.channel } }),
};

/** Suppressions matching the filters, by channel then address, page by page. */
export function useSuppressions(q: SuppressionQuery) {
  return useInfiniteQuery({
    queryKey: queryKeys.suppressions.list({ ...q }),
    queryFn: ({ pageParam }) => suppressionApi.list({ ...q, cursor: pageParam || undefined, limit: PAGE }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    placeholderData: (p) => p,
  });
}
