"use client";
import { memo, useEffect } from "react";
import Link from "next/link";
import { BarChart3, X } from "lucide-react";
import { useWorkflowStats } from "@/entities/workflow";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";
import { edgeCount, FUNNEL_PERIODS, periodOf, share, useFunnel, type FunnelPeriodKind } from "../model/funnel";

/** Keeps the funnel store filled with the counts of the chosen period while the overlay is on. */
export function useFunnelSync(workflowId: string, on: boolean) {
  const kind = useFunnel((s) => s.kind);
  const customFrom = useFunnel((s) => s.customFrom);
  const customTo = useFunnel((s) => s.customTo);
  const period = periodOf(kind, customFrom, customTo);
  const stats = useWorkflowStats(workflowId, on && period !== null, period ?? {});
  const key = JSON.stringify(period);
  useEffect(() => {
    useFunnel.getState().setData(on && period ? (stats.data ?? null) : null, period ?? {});
    // `key` stands for `period`, which is a new object on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [on, stats.data, key]);
  useEffect(() => () => useFunnel.getState().setData(null, {}), []);
  return stats;
}

const statusChips: Array<{ status: string; label: string; cls: string }> = [
  { status: "COMPLETED", label: "completed", cls: "text-emerald-700 hover:bg-emerald-50" },
  { status: "WAITING", label: "waiting", cls: "text-amber-700 hover:bg-amber-50" },
  { status: "RUNNING", label: "running", cls: "text-sky-700 hover:bg-sky-50" },
  { status: "FAILED", label: "failed", cls: "text-red-700 hover:bg-red-50" },
  { status: "CANCELLED", label: "cancelled", cls: "text-slate-500 hover:bg-slate-100" },
];

/** The link to the executions behind a count. */
function listHref(workflowId: string, period: { from?: string; to?: string }, f: { nodeId: string; nodeStatus?: string; handle?: string }) {
  return routes.executions({ workflowId, ...f, from: period.from, to: period.to });
}

/**
 * FunnelPanel is the overlay's control: the period (24 h, 7 days, 30 days,
 * all time, custom dates), how many executions entered in it, and how
 * they ended.
 */
export function FunnelPanel({ workflowId, loading, error, onClose }: { workflowId: string; loading: boolean; error: boolean; onClose: () => void }) {
  const { kind, customFrom, customTo, data, setKind, setCustom } = useFunnel();
  const customBad = kind === "custom" && periodOf(kind, customFrom, customTo) === null;
  return (
    <div
      className="pointer-events-auto absolute top-3 left-3 z-10 w-[min(22rem,calc(100%-1.5rem))] rounded-lg border border-slate-200 bg-white/95 p-3 shadow-md backdrop-blur"
      data-testid="funnel-panel"
    >
      <div className="mb-2 flex items-center gap-2">
        <BarChart3 className="size-4 text-brand-600" aria-hidden />
        <h2 className="text-sm font-semibold text-slate-900">Where are my contacts?</h2>
        <button type="button" onClick={onClose} className="ml-auto rounded p-0.5 text-slate-400 hover:bg-slate-100 hover:text-slate-700" aria-label="Hide stats">
          <X className="size-4" />
        </button>
      </div>
      <div role="radiogroup" aria-label="Period" className="flex flex-wrap gap-1">
        {FUNNEL_PERIODS.map((p) => (
          <button
            key={p.id}
            type="button"
            role="radio"
            aria-checked={kind === p.id}
            onClick={() => setKind(p.id as FunnelPeriodKind)}
            data-testid={`funnel-period-${p.id}`}
            className={cn(
              "rounded-md border px-2 py-0.5 text-xs font-medium",
              kind === p.id ? "border-brand-500 bg-brand-50 text-brand-700" : "border-slate-200 text-slate-600 hover:bg-slate-50",
            )}
          >
            {p.label}
          </button>
        ))}
      </div>
      {kind === "custom" && (
        <div className="mt-2 flex items-center gap-1.5 text-xs text-slate-600">
          <input
            type="date"
            aria-label="From"
            value={customFrom}
            max={customTo}
            onChange={(e) => setCustom(e.target.value, customTo)}
            className="rounded border border-slate-300 px-1.5 py-0.5"
            data-testid="funnel-from"
          />
          <span>to</span>
          <input
            type="date"
            aria-label="To"
            value={customTo}
            min={customFrom}
            onChange={(e) => setCustom(customFrom, e.target.value)}
            className="rounded border border-slate-300 px-1.5 py-0.5"
            data-testid="funnel-to"
          />
          <span className="text-slate-400" title="Days are UTC days, as on the analytics pages">UTC</span>
        </div>
      )}
      {customBad ? (
        <p className="mt-2 text-xs text-red-700">Choose a first day on or before the last day.</p>
      ) : error ? (
        <p className="mt-2 text-xs text-red-700">Stats could not be loaded. They come back by themselves.</p>
      ) : (
        <div className="mt-2 text-xs text-slate-600" aria-live="polite">
          {loading && !data ? (
            "Counting…"
          ) : (
            <>
              <Link
                href={routes.executions({ workflowId, from: useFunnel.getState().period.from, to: useFunnel.getState().period.to })}
                className="font-semibold text-slate-900 hover:underline"
                data-testid="funnel-entries"
              >
                {data?.entries ?? 0} {data?.entries === 1 ? "execution" : "executions"}
              </Link>{" "}
              entered{kind === "all" ? "" : " in this period"}
              {data && data.entries > 0 && (
                <span className="text-slate-500">
                  {" "}
                  ·{" "}
                  {Object.entries(data.executions)
                    .sort(([, a], [, b]) => b - a)
                    .map(([s, n]) => `${n} ${s.toLowerCase()}`)
                    .join(", ")}
                </span>
              )}
              <p className="mt-1 text-[11px] text-slate-400">Test runs are not counted. Click a number to see those executions.</p>
            </>
          )}
        </div>
      )}
    </div>
  );
}

/** NodeFunnel shows above a step how many executions reached it, their share of entries, and how their visits ended; each number opens those executions. */
export const NodeFunnel = memo(function NodeFunnel({ nodeId, workflowId }: { nodeId: string; workflowId: string | null }) {
  const entered = useFunnel((s) => s.data?.entered?.[nodeId]);
  const entries = useFunnel((s) => s.data?.entries ?? 0);
  const byStatus = useFunnel((s) => s.data?.nodes?.[nodeId]);
  const on = useFunnel((s) => s.data !== null);
  const period = useFunnel((s) => s.period);
  if (!on || !workflowId) return null;
  const n = entered ?? 0;
  return (
    <div
      className="nodrag nopan absolute bottom-full left-0 mb-1.5 flex max-w-[15rem] flex-wrap items-center gap-x-1 gap-y-0.5 rounded-md border border-slate-200 bg-white px-1.5 py-0.5 text-[11px] shadow-sm"
      data-testid={`node-funnel-${nodeId}`}
      onClick={(e) => e.stopPropagation()}
    >
      <Link
        href={listHref(workflowId, period, { nodeId })}
        className="rounded px-0.5 font-semibold text-slate-900 hover:bg-slate-100"
        title="Executions that reached this step"
        data-testid={`node-funnel-${nodeId}-entered`}
      >
        {n}
      </Link>
      <span className="text-slate-500" title="Share of the executions that entered the journey">
        {share(n, entries)}
      </span>
      {statusChips
        .filter((c) => (byStatus?.[c.status] ?? 0) > 0)
        .map((c) => (
          <Link
            key={c.status}
            href={listHref(workflowId, period, { nodeId, nodeStatus: c.status })}
            className={cn("rounded px-0.5 font-medium", c.cls)}
            data-testid={`node-funnel-${nodeId}-${c.status.toLowerCase()}`}
          >
            {byStatus![c.status]} {c.label}
          </Link>
        ))}
    </div>
  );
});

/** EdgeFunnel labels a connection with how many executions took it and their share of entries; the number opens them. */
export const EdgeFunnel = memo(function EdgeFunnel({
  edgeId,
  source,
  sourceHandle,
  target,
  x,
  y,
  workflowId,
}: {
  edgeId: string;
  source: string;
  sourceHandle?: string | null;
  target: string;
  x: number;
  y: number;
  workflowId: string | null;
}) {
  const n = useFunnel((s) => edgeCount(s.data, source, sourceHandle, target));
  const entries = useFunnel((s) => s.data?.entries ?? 0);
  const period = useFunnel((s) => s.period);
  if (n === undefined || !workflowId) return null;
  return (
    <Link
      href={listHref(workflowId, period, { nodeId: source, handle: sourceHandle || "out" })}
      className="nodrag nopan pointer-events-auto absolute rounded-full border border-slate-200 bg-white px-1.5 py-px text-[10px] font-medium whitespace-nowrap text-slate-600 shadow-sm hover:border-brand-400 hover:text-brand-700"
      style={{ transform: `translate(14px, -50%) translate(${x}px, ${y}px)` }}
      title="Executions that took this connection"
      data-testid={`edge-funnel-${edgeId}`}
    >
      {n} · {share(n, entries)}
    </Link>
  );
});
