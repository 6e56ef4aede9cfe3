"use client";
import { useInfiniteQuery } from "@tanstack/react-query";
import { request, type Page } from "@/shared/api";
import type { Message, MessageQuery } from "../model/types";

const PAGE = 50;

/** Calls of the message-history routes. */
export const messageApi = {
  list: (q: MessageQuery & { cursor?: string; limit?: number }) => request<Page<Message>>("GET", "/api/v1/messages", { query: { ...q } }),
  get: (id: string) => request<Message>("GET", "/api/v1/messages/{id}", { path: { id } }),
};

/** How often to poll (ms, or false), fixed or decided from the messages loaded so far. */
export type MessagePoll = number | false | ((loaded: Message[]) => number | false);

/** Messages matching the filters, newest first, page by page; poll refetches while statuses may still move. */
export function useMessages(q: MessageQuery, enabled = true, poll: MessagePoll = false) {
  return useInfiniteQuery({
    queryKey: ["messages", "list", { ...q }],
    queryFn: ({ pageParam }) => messageApi.list({ ...q, cursor: pageParam || undefined, limit: PAGE }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    placeholderData: (p) => p,
    enabled,
    refetchInterval: typeof poll === "function" ? (query) => poll(query.state.data?.pages.flatMap((p) => p.items ?? []) ?? []) : poll,
  });
}
