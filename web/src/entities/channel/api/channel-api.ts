"use client";
import { useQuery } from "@tanstack/react-query";
import { queryKeys, request, type Page } from "@/shared/api";
import type { ChannelConnection, ChannelCreate, ChannelTestResult, ChannelUpdate } from "../model/kinds";

/** Calls of the channel-connection routes. */
export const channelApi = {
  list: async (): Promise<ChannelConnection[]> => {
    const res = await request<Page<ChannelConnection> | ChannelConnection[]>("GET", "/api/v1/channels");
    return Array.isArray(res) ? res : (res.items ?? []);
  },
  create: (body: ChannelCreate) => request<ChannelConnection>("POST", "/api/v1/channels", { body }),
  update: (id: string, body: ChannelUpdate) => request<ChannelConnection>("PATCH", "/api/v1/channels/{id}", { path: { id }, body }),
  remove: (id: string) => request<void>("DELETE", "/api/v1/channels/{id}", { path: { id } }),
  test: (id: string) => request<ChannelTestResult>("POST", "/api/v1/channels/{id}/test", { path: { id } }),
};

/** The workspace's channel connections. */
export function useChannels() {
  return useQuery({ queryKey: queryKeys.channels.all, queryFn: channelApi.list });
}
