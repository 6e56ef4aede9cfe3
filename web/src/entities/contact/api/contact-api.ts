"use client";
import { useInfiniteQuery, useQueries, useQuery } from "@tanstack/react-query";
import { ApiError, queryKeys, request, type Page } from "@/shared/api";
import { contactLabel } from "../model/display";
import type { Contact, ContactImport, ContactImportRowError, ContactQuery, TimelineItem } from "../model/types";

const PAGE = 50;

export const contactApi = {
  list: (f: ContactQuery & { cursor?: string; limit?: number }) =>
    request<Page<Contact>>("GET", "/api/v1/contacts", { query: { ...f } }),
  get: (id: string) => request<Contact>("GET", "/api/v1/contacts/{id}", { path: { id } }),
  timeline: (id: string, cursor?: string) =>
    request<Page<TimelineItem>>("GET", "/api/v1/contacts/{id}/timeline", { path: { id }, query: { cursor, limit: PAGE } }),
  erase: (id: string) => request<void>("DELETE", "/api/v1/contacts/{id}", { path: { id } }),
  getImport: (id: string) => request<ContactImport>("GET", "/api/v1/contact-imports/{id}", { path: { id } }),
  importErrors: (id: string, after?: number) =>
    request<{ items: ContactImportRowError[] | null; nextAfter?: number }>("GET", "/api/v1/contact-imports/{id}/errors", {
      path: { id },
      query: { after, limit: 1000 },
    }),
  cancelImport: (id: string) => request<ContactImport>("POST", "/api/v1/contact-imports/{id}/cancel", { path: { id } }),
  /**
   * Uploads a CSV file (multipart, part "file") and reports the bytes sent
   * through onProgress (0..1); resolves with the import the server queued.
   * XMLHttpRequest rather than fetch: fetch cannot report upload progress.
   */
  uploadImport: (file: File, onProgress?: (sent: number) => void, signal?: AbortSignal) =>
    new Promise<ContactImport>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `/api/v1/contact-imports?filename=${encodeURIComponent(file.name)}`);
      xhr.withCredentials = true;
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
      xhr.onerror = () => reject(new TypeError("network error"));
      xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
      xhr.onload = () => {
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as ContactImport);
        else
          reject(
            new ApiError(
              body && typeof body === "object" && "status" in body
                ? (body as ConstructorParameters<typeof ApiError>[0])
                : { title: xhr.statusText || "Upload failed", status: xhr.status },
            ),
          );
      };
      signal?.addEventListener("abort", () => xhr.abort());
      const form = new FormData();
      form.append("file", file, file.name);
      xhr.send(form);
    }),
};

/** Contacts matching q and the filters, newest first; fetchNextPage loads the next 50. */
export function useContacts(f: ContactQuery) {
  return useInfiniteQuery({
    queryKey: queryKeys.contacts.list({ ...f }),
    queryFn: ({ pageParam }) => contactApi.list({ ...f, cursor: pageParam || undefined, limit: PAGE }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    placeholderData: (p) => p,
  });
}

export function useContact(id: string | null) {
  return useQuery({ queryKey: queryKeys.contacts.detail(id ?? ""), queryFn: () => contactApi.get(id!), enabled: !!id });
}

/** A contact's timeline (events, journeys entered and exited, steps), newest first, 50 at a time. */
export function useContactTimeline(id: string | null) {
  return useInfiniteQuery({
    queryKey: queryKeys.contacts.timeline(id ?? ""),
    queryFn: ({ pageParam }) => contactApi.timeline(id!, pageParam || undefined),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor || undefined,
    enabled: !!id,
    refetchInterval: 15_000,
  });
}

/** Whether an import still moves (its progress is polled while it does). */
export function isImportActive(status?: string): boolean {
  return status === "uploading" || status === "pending" || status === "running";
}

/** One contact import, polled every second while it runs. */
export function useContactImport(id: string | null) {
  return useQuery({
    queryKey: queryKeys.contactImports.detail(id ?? ""),
    queryFn: () => contactApi.getImport(id!),
    enabled: !!id,
    refetchInterval: (q) => (isImportActive(q.state.data?.status) ? 1_000 : false),
  });
}

/**
 * Labels (name, email or external ID) of the given contacts, fetched one by
 * one and cached for five minutes: for lists that hold contact IDs only,
 * such as the events list. IDs still loading or erased are absent.
 */
export function useContactLabels(ids: string[]): Map<string, string> {
  const unique = [...new Set(ids)];
  return useQueries({
    queries: unique.map((id) => ({
      queryKey: queryKeys.contacts.detail(id),
      queryFn: () => contactApi.get(id),
      staleTime: 5 * 60_000,
      retry: false,
    })),
    combine: (rs) => new Map(rs.flatMap((r) => (r.data ? [[r.data.id, contactLabel(r.data)] as [string, string]] : []))),
  });
}
