"use client";
import { useQuery } from "@tanstack/react-query";
import { queryKeys, request, type Contact, type ContactEvent, type Page } from "@/shared/api";

export const contactApi = {
  list: (f: { q?: string; cursor?: string; limit?: number }) =>
    request<Page<Contact>>("GET", "/api/v1/contacts", { query: { search: f.q, cursor: f.cursor, limit: f.limit } }),
  get: (id: string) => request<Contact>("GET", "/api/v1/contacts/{id}", { path: { id } }),
  events: (id: string) => request<Page<ContactEvent>>("GET", "/api/v1/contacts/{id}/events", { path: { id } }),
  create: (body: Partial<Contact>) => request<Contact>("POST", "/api/v1/contacts", { body }),
};

export function useContacts(f: { q?: string; cursor?: string }) {
  return useQuery({ queryKey: queryKeys.contacts.list(f), queryFn: () => contactApi.list({ ...f, limit: 50 }), placeholderData: (p) => p });
}
export function useContact(id: string | null) {
  return useQuery({ queryKey: queryKeys.contacts.detail(id ?? ""), queryFn: () => contactApi.get(id!), enabled: !!id });
}
export function useContactEvents(id: string | null) {
  return useQuery({ queryKey: queryKeys.contacts.events(id ?? ""), queryFn: () => contactApi.events(id!), enabled: !!id, retry: false });
}
