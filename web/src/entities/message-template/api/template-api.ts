"use client";
import { useQuery } from "@tanstack/react-query";
import { request, type Page } from "@/shared/api";
import type { MessageTemplate, RenderedMessage, TemplateChannel, TemplateContent, TemplatePreviewRequest } from "../model/types";

/** Query keys of templates. */
export const templateKeys = {
  all: ["templates"] as const,
  list: (channel?: string) => ["templates", "list", channel ?? ""] as const,
  detail: (id: string) => ["templates", "detail", id] as const,
};

/** Calls of the template routes. */
export const templateApi = {
  list: async (channel?: TemplateChannel): Promise<MessageTemplate[]> => {
    const res = await request<Page<MessageTemplate> | MessageTemplate[]>("GET", "/api/v1/templates", { query: { channel } });
    return Array.isArray(res) ? res : (res.items ?? []);
  },
  get: (id: string) => request<MessageTemplate>("GET", "/api/v1/templates/{id}", { path: { id } }),
  create: (body: { channel: TemplateChannel; name: string; description?: string; content: TemplateContent }) =>
    request<MessageTemplate>("POST", "/api/v1/templates", { body }),
  replace: (id: string, body: { name: string; description?: string; content: TemplateContent }) =>
    request<MessageTemplate>("PUT", "/api/v1/templates/{id}", { path: { id }, body }),
  remove: (id: string) => request<void>("DELETE", "/api/v1/templates/{id}", { path: { id } }),
  preview: (body: TemplatePreviewRequest, signal?: AbortSignal) => request<RenderedMessage>("POST", "/api/v1/templates/preview", { body, signal }),
};

/** The workspace's templates, of one channel when given. */
export function useTemplates(channel?: TemplateChannel) {
  return useQuery({ queryKey: templateKeys.list(channel), queryFn: () => templateApi.list(channel) });
}

/** One template. */
export function useTemplate(id: string | undefined) {
  return useQuery({ queryKey: templateKeys.detail(id ?? ""), queryFn: () => templateApi.get(id ?? ""), enabled: Boolean(id) });
}
