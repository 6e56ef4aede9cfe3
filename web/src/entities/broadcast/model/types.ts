import type { Generated } from "@/shared/api";

export type BroadcastStatus = "scheduled" | "running" | "paused" | "completed" | "cancelled" | "failed";
export type ScheduleMode = "now" | "at" | "contact_local";

/**
 * A broadcast and its progress (BroadcastDTO): a published workflow run
 * once for every member of a segment, at a send rate.
 */
export type Broadcast = Generated<
  "BroadcastDTO",
  {
    id: string;
    name: string;
    workflowId: string;
    workflowVersion: number;
    segmentId: string;
    status: BroadcastStatus;
    scheduleMode: ScheduleMode;
    sendAt?: string;
    timezone: string;
    startsAt: string;
    ratePerSecond: number;
    total: number;
    done: number;
    started: number;
    skipped: number;
    lastError?: string;
    createdAt: string;
    updatedAt: string;
    startedAt?: string;
    finishedAt?: string;
  }
>;

/** The body of POST /api/v1/broadcasts. */
export interface BroadcastCreate {
  name: string;
  workflowId: string;
  segmentId: string;
  scheduleMode: ScheduleMode;
  /** Wall-clock time without offset (2026-12-24T09:00), for at and contact_local. */
  sendAt?: string;
  timezone?: string;
  ratePerSecond: number;
}

/** Whether a broadcast may still move (its progress is polled while it does). */
export function isBroadcastActive(status?: string): boolean {
  return status === "scheduled" || status === "running";
}

/** Done as a share of the total, 0..1 (0 before the recipients are taken). */
export function broadcastProgress(b: Pick<Broadcast, "done" | "total">): number {
  return b.total > 0 ? Math.min(1, b.done / b.total) : 0;
}
