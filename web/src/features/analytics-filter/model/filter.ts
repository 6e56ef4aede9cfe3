"use client";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { PERIODS, periodOf, utcDay, type AnalyticsPeriod, type PeriodKind } from "@/entities/analytics";

/** The analytics filter as the URL holds it: ?period=30d (or custom&from=…&to=…) &workflowId=…&goal=…&within=… */
export interface AnalyticsFilterState {
  kind: PeriodKind;
  /** Custom period, yyyy-mm-dd UTC days, both inclusive. */
  customFrom: string;
  customTo: string;
  workflowId: string;
  goal: string;
  within: string;
}

const DAY = 86_400_000;

/** readFilter reads the filter from a query string; anything missing or unknown takes its default (30 days, all workflows, 72 h). */
export function readFilter(q: URLSearchParams, now = Date.now()): AnalyticsFilterState {
  const p = q.get("period");
  const kind = (PERIODS.some((x) => x.id === p) ? p : "30d") as PeriodKind;
  return {
    kind,
    customFrom: q.get("from") || utcDay(now - 29 * DAY),
    customTo: q.get("to") || utcDay(now),
    workflowId: q.get("workflowId") || "",
    goal: q.get("goal") || "",
    within: q.get("within") || "72h",
  };
}

/** writeFilter is readFilter's inverse: only what differs from the defaults is written. */
export function writeFilter(f: AnalyticsFilterState, keep: URLSearchParams = new URLSearchParams()): string {
  const q = new URLSearchParams(keep);
  for (const k of ["period", "from", "to", "workflowId", "goal", "within"]) q.delete(k);
  if (f.kind !== "30d") q.set("period", f.kind);
  if (f.kind === "custom") {
    q.set("from", f.customFrom);
    q.set("to", f.customTo);
  }
  if (f.workflowId) q.set("workflowId", f.workflowId);
  if (f.goal) q.set("goal", f.goal);
  if (f.goal && f.within !== "72h") q.set("within", f.within);
  return q.toString();
}

/**
 * useAnalyticsFilter keeps the analytics filter in the URL (so a view can
 * be shared and survives a reload) and resolves its period: `period` is
 * null and `error` says why when a custom period is not valid.
 */
export function useAnalyticsFilter() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const qs = params.toString();
  const state = useMemo(() => readFilter(new URLSearchParams(qs)), [qs]);
  const resolved = useMemo(() => periodOf(state.kind, state.customFrom, state.customTo), [state.kind, state.customFrom, state.customTo]);
  // router.replace lands in the URL only when its navigation commits, so two
  // changes in quick succession (a period, then a workflow) must build on
  // the query the first one asked for, not on the URL still showing: latest
  // is the newest query asked for, and sent the ones not landed yet. A URL
  // that is none of ours (back, a link) becomes the base again.
  const latest = useRef(qs);
  const sent = useRef<string[]>([]);
  useEffect(() => {
    const i = sent.current.indexOf(qs);
    if (i >= 0) {
      sent.current = sent.current.slice(i + 1);
      if (sent.current.length > 0) return;
    } else {
      sent.current = [];
    }
    latest.current = qs;
  }, [qs]);
  const set = useCallback(
    (patch: Partial<AnalyticsFilterState>) => {
      // A key given as undefined keeps its value.
      const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const base = new URLSearchParams(latest.current);
      const next = writeFilter({ ...readFilter(base), ...given }, base);
      latest.current = next;
      sent.current.push(next);
      router.replace(next ? `${pathname}?${next}` : pathname, { scroll: false });
    },
    [pathname, router],
  );
  const period: AnalyticsPeriod | null = "error" in resolved ? null : resolved;
  return { ...state, period, error: "error" in resolved ? resolved.error : null, set };
}
