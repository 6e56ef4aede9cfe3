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

/** Messages of one channel over the period, with rates as fractions of sent (0–1). */
export interface ChannelDeliveryFallback {
  channel: string;
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
    days: Array<{ day: string; channel: string; sent: number; delivered: number; read: number; failed: number; bounced: number }> | null;
  }
>;

/** GET /workflows/{id}/analytics/splits: per split node, per variant. */
export type SplitAnalytics = Generated<
  "SplitAnalyticsDTO",
  {
    splits: Array<{
      nodeId: string;
      label?: string;
      variants: Array<{
        name: string;
        weight: number;
        entered: number;
        completed: number;
        failed: number;
        converted?: number;
        conversionRate?: number;
      }> | null;
    }> | null;
  }
>;

/** GET /workflows/{id}/analytics/conversion: entries that did the goal event within the window. */
export type ConversionAnalytics = Generated<
  "ConversionAnalyticsDTO",
  {
    goal: string;
    within: string;
    entries: number;
    converted: number;
    rate: number;
    medianSecondsToConvert?: number | null;
    days: Array<{ day: string; entries: number; converted: number }> | null;
  }
>;

/** A resolved period: RFC 3339 instants, `to` exclusive. */
export interface AnalyticsPeriod {
  from: string;
  to: string;
}
