import type { Generated } from "@/shared/api";

/** One UTC day of executions: started (created) that day, and those that reached a final status that day. */
export interface ExecutionDayFallback {
  day: string;
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/** GET /analytics/executions: executions per UTC day by status over a period. */
export type ExecutionAnalytics = Generated<
  "ExecutionAnalyticsDTO",
  {
    from: string;
    to: string;
    days: ExecutionDayFallback[] | null;
    totals: Omit<ExecutionDayFallback, "day">;
    now: { running: number; waiting: number };
  }
>;

/**
 * Messages of one channel over the period, with rates as fractions (0–1):
 * delivered and bounced of sent, read of delivered, failed of all queued.
 */
export interface ChannelDeliveryFallback {
  channel: string;
  total: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  bounced: number;
  deliveryRate: number;
  readRate: number;
  failureRate: number;
  bounceRate: number;
}

/** GET /analytics/messages: message delivery by channel (and by channel and day). */
export type MessageAnalytics = Generated<
  "MessageAnalyticsDTO",
  {
    from: string;
    to: string;
    channels: ChannelDeliveryFallback[] | null;
    days: Array<{ day: string; channel: string; total: number; sent: number; delivered: number; read: number; failed: number; bounced: number }> | null;
  }
>;

/** GET /workflows/{id}/analytics/splits: per split node, per variant. */
export type SplitAnalytics = Generated<
  "SplitAnalyticsDTO",
  {
    from: string;
    to: string;
    goal: string;
    within: string;
    splits: Array<{
      nodeId: string;
      label: string;
      variants: Array<{
        name: string;
        weight: number;
        entered: number;
        completed: number;
        failed: number;
        converted: number;
        conversionRate: number;
        /** Per end node ID, executions of the variant that reached it. */
        ends: Record<string, number>;
      }> | null;
    }> | null;
  }
>;

/** GET /workflows/{id}/analytics/conversion: entries that did the goal event within the window. */
export type ConversionAnalytics = Generated<
  "ConversionAnalyticsDTO",
  {
    from: string;
    to: string;
    goal: string;
    within: string;
    entries: number;
    converted: number;
    rate: number;
    medianSecondsToConvert: number;
    days: Array<{ day: string; entries: number; converted: number }> | null;
  }
>;

/** A resolved period of whole UTC days (yyyy-mm-dd): `from` the first, `to` the day after the last. */
export interface AnalyticsPeriod {
  from: string;
  to: string;
}
