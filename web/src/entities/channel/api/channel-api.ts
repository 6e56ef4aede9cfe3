"use client";
import { useQuery } from "@tanstack/react-query";
import { queryKeys, request, type Channel, type Page } from "@/shared/api";

export const channelApi = {
  list: async () => {
    const res = await request<Page<Channel> | Channel[]>("GET", "/api/v1/channels");
    return Array.isArray(res) ? res : (res.items ?? []);
  },
  create: (body: { type: string; name: string; config: Record<string, unknown> }) => request<Channel>("POST", "/api/v1/channels", { body }),
  remove: (id: string) => request<void>("DELETE", "/api/v1/channels/{id}", { path: { id } }),
};

export function useChannels() {
  return useQuery({ queryKey: queryKeys.channels.all, queryFn: channelApi.list });
}
