import type { Generated } from "@/shared/api";

/** A contact's consent on one channel (SubscriptionDTO). */
export type Subscription = Generated<"SubscriptionDTO", { state: "subscribed" | "unsubscribed" | "never"; source?: string; at: string }>;

/** A contact as GET /api/v1/contacts/{id} answers it (ContactDTO). */
export type Contact = Generated<
  "ContactDTO",
  {
    id: string;
    externalId?: string;
    email?: string;
    phone?: string;
    messengerPsid?: string;
    name: string;
    timezone: string;
    locale: string;
    attributes: Record<string, unknown> | null;
    subscriptions: Record<string, Subscription> | null;
    createdAt: string;
    updatedAt: string;
    lastSeenAt?: string;
  }
>;

/** One thing that happened to a contact (TimelineItemDTO), newest first. */
export type TimelineItem = Generated<
  "TimelineItemDTO",
  {
    kind: "event" | "journey.entered" | "journey.exited" | "step";
    at: string;
    id: string;
    executionId?: string;
    workflowId?: string;
    name?: string;
    nodeId?: string;
    status?: string;
    properties?: Record<string, unknown> | null;
  }
>;

/** One refused row of a contact import. */
export type ContactImportRowError = Generated<"ContactImportRowErrorDTO", { row: number; message: string }>;

/** A CSV contact import and its progress (ContactImportDTO). */
export type ContactImport = Generated<
  "ContactImportDTO",
  {
    id: string;
    status: "uploading" | "pending" | "running" | "completed" | "failed" | "cancelled";
    filename: string;
    delimiter: string;
    header: string[] | null;
    totalBytes: number;
    totalRows: number;
    bytesDone: number;
    rowsDone: number;
    rowsCreated: number;
    rowsUpdated: number;
    rowsFailed: number;
    progress: number;
    error?: string;
    errors?: ContactImportRowError[] | null;
    createdAt: string;
    updatedAt: string;
    startedAt?: string;
    finishedAt?: string;
  }
>;

/** The list filters of GET /api/v1/contacts, as query parameters. */
export interface ContactQuery {
  q?: string;
  /** key:op[:value], ANDed. */
  attr?: string[];
  /** channel:state. */
  subscription?: string[];
  createdAfter?: string;
  createdBefore?: string;
  lastSeenAfter?: string;
  lastSeenBefore?: string;
}
