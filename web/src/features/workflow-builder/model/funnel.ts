import { create } from "zustand";
import type { WorkflowStats } from "@/shared/api";
import type { StatsPeriod } from "@/entities/workflow";

/** The periods the funnel offers; custom takes two dates. */
export type FunnelPeriodKind = "24h" | "7d" | "30d" | "all" | "custom";

export const FUNNEL_PERIODS: Array<{ id: FunnelPeriodKind; label: string }> = [
  { id: "24h", label: "24 h" },
  { id: "7d", label: "7 days" },
  { id: "30d", label: "30 days" },
  { id: "all", label: "All time" },
  { id: "custom", label: "Custom" },
];

const HOURS: Partial<Record<FunnelPeriodKind, number>> = { "24h": 24, "7d": 7 * 24, "30d": 30 * 24 };

/**
 * The funnel overlay's state while a builder is open: the chosen period
 * and the counts fetched for it. Node and edge renderers read their own
 * numbers from here, so the overlay needs no change to the draft's store.
 */
export interface FunnelState {
  kind: FunnelPeriodKind;
  /** Custom period, as yyyy-mm-dd UTC days like the analytics pages' (to is inclusive). */
  customFrom: string;
  customTo: string;
  /** The resolved period of the counts in `data`. */
  period: StatsPeriod;
  data: WorkflowStats | null;
  setKind: (k: FunnelPeriodKind) => void;
  setCustom: (from: string, to: string) => void;
  setData: (d: WorkflowStats | null, period: StatsPeriod) => void;
}

/** yyyy-mm-dd of an instant in UTC: the API's and the analytics pages' days. */
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export const useFunnel = create<FunnelState>()((set) => ({
  kind: "7d",
  customFrom: isoDay(new Date(Date.now() - 6 * 86_400_000)),
  customTo: isoDay(new Date()),
  period: {},
  data: null,
  setKind: (kind) => set({ kind }),
  setCustom: (customFrom, customTo) => set({ customFrom, customTo }),
  setData: (data, period) => set({ data, period }),
}));

/**
 * periodOf resolves a period choice to from/to. Rolling periods end at
 * the next whole minute so the query key (and the server's cache of it)
 * stays the same for a minute; a custom period runs from the start of its
 * first UTC day to the end of its last, so its counts match the analytics
 * pages' for the same days.
 */
export function periodOf(kind: FunnelPeriodKind, customFrom: string, customTo: string, now = Date.now()): StatsPeriod | null {
  if (kind === "all") return {};
  if (kind === "custom") {
    const from = new Date(`${customFrom}T00:00:00Z`);
    const to = new Date(`${customTo}T00:00:00Z`);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
    to.setUTCDate(to.getUTCDate() + 1);
    if (to <= from) return null;
    return { from: from.toISOString(), to: to.toISOString() };
  }
  const end = Math.ceil(now / 60_000) * 60_000;
  return { from: new Date(end - HOURS[kind]! * 3_600_000).toISOString(), to: new Date(end).toISOString() };
}

/** share is n of entries as a rounded percentage ("—" without entries). */
export function share(n: number, entries: number): string {
  if (!entries) return "—";
  const p = (n / entries) * 100;
  return p > 0 && p < 1 ? "<1%" : `${Math.round(p)}%`;
}

/** The count of an edge: transitions from source by handle to target. */
export function edgeCount(data: WorkflowStats | null, source: string, handle: string | null | undefined, target: string): number | undefined {
  if (!data) return undefined;
  const h = !handle ? "out" : handle;
  let n = 0;
  let found = false;
  for (const e of data.edges ?? []) {
    if (e.source === source && e.target === target && e.handle === h) {
      n += e.count;
      found = true;
    }
  }
  return found ? n : 0;
}
