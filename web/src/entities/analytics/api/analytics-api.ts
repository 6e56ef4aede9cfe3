"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";
import type { AnalyticsPeriod, ConversionAnalytics, ExecutionAnalytics, MessageAnalytics, SplitAnalytics } from "../model/types";

/** The filters of the workspace-wide analytics: a period and, optionally, one workflow. */
export interface AnalyticsFilter extends AnalyticsPeriod {
  workflowId?: string;
}

/** A goal for conversion: an event name and the window after entry (a duration such as "72h"). */
export interface Goal {
  goal: string;
  within: string;
}

/** The analytics operations of the API, through the generated client. */
export const analyticsApi = {
  executions: (f: AnalyticsFilter): Promise<ExecutionAnalytics> =>
    unwrap(client.GET("/api/v1/analytics/executions", { params: { query: { from: f.from, to: f.to, workflowId: f.workflowId || undefined } } })),
  messages: (f: AnalyticsFilter): Promise<MessageAnalytics> =>
    unwrap(client.GET("/api/v1/analytics/messages", { params: { query: { from: f.from, to: f.to, workflowId: f.workflowId || undefined } } })),
  splits: (id: string, p: AnalyticsPeriod, g?: Goal): Promise<SplitAnalytics> =>
    unwrap(
      client.GET("/api/v1/workflows/{id}/analytics/splits", {
        params: { path: { id }, query: { from: p.from, to: p.to, goal: g?.goal || undefined, within: g?.goal ? g.within : undefined } },
      }),
    ),
  conversion: (id: string, p: AnalyticsPeriod, g: Goal): Promise<ConversionAnalytics> =>
    unwrap(
      client.GET("/api/v1/workflows/{id}/analytics/conversion", { params: { path: { id }, query: { from: p.from, to: p.to, goal: g.goal, within: g.within } } }),
    ),
};

// Analytics change as executions run: refreshed every minute, the last answer stays on screen while a new filter loads.
const live = { placeholderData: keepPreviousData, refetchInterval: 60_000, retry: false } as const;

/** Executions per UTC day by status for a period (null: no valid period, nothing is asked). */
export function useExecutionAnalytics(f: AnalyticsFilter | null) {
  return useQuery({ queryKey: queryKeys.analytics.executions({ ...f }), queryFn: () => analyticsApi.executions(f!), enabled: !!f, ...live });
}

/** Message delivery by channel for a period. */
export function useMessageAnalytics(f: AnalyticsFilter | null) {
  return useQuery({ queryKey: queryKeys.analytics.messages({ ...f }), queryFn: () => analyticsApi.messages(f!), enabled: !!f, ...live });
}

/** A workflow's split results per variant, with conversion when a goal is given. */
export function useSplitAnalytics(workflowId: string | null, p: AnalyticsPeriod | null, g?: Goal) {
  return useQuery({
    queryKey: queryKeys.analytics.splits(workflowId ?? "", { ...p, ...g }),
    queryFn: () => analyticsApi.splits(workflowId!, p!, g),
    enabled: !!workflowId && !!p,
    ...live,
  });
}

/** A workflow's conversion to a goal event within a window after entry (asked only with a goal). */
export function useConversion(workflowId: string | null, p: AnalyticsPeriod | null, g: Goal) {
  return useQuery({
    queryKey: queryKeys.analytics.conversion(workflowId ?? "", { ...p, ...g }),
    queryFn: () => analyticsApi.conversion(workflowId!, p!, g),
    enabled: !!workflowId && !!p && !!g.goal,
    ...live,
  });
}
