import type { Generated } from "@/shared/api";

/** A stored event (EventDTO): what a contact did, as your app reported it. */
export type TrackedEvent = Generated<
  "EventDTO",
  {
    id: string;
    contactId: string;
    name: string;
    properties: unknown;
    /** When it happened (the client's time). */
    timestamp: string;
    receivedAt: string;
    messageId: string;
  }
>;

/** The filters of GET /api/v1/events. */
export interface EventQuery {
  name?: string;
  contactId?: string;
}
