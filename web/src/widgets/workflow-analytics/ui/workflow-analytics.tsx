"use client";
import type { ReactNode } from "react";
import Link from "next/link";
import { GitBranch, Shuffle, Target } from "lucide-react";
import {
  ConversionChart,
  conversionSeries,
  count,
  endShares,
  funnelRows,
  instants,
  percent,
  seconds,
  splitRows,
  StatTile,
  useConversion,
  useSplitAnalytics,
  type AnalyticsPeriod,
  type FunnelRow,
  type Goal,
  type VariantRow,
} from "@/entities/analytics";
import { NodeIcon, useWorkflow, useWorkflowStats } from "@/entities/workflow";
import { GoalPicker } from "@/features/analytics-filter";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";
import { Badge, Card, CardHeader, EmptyState, ErrorState, Skeleton, TableSkeleton } from "@/shared/ui";

/** A horizontal bar of a share (0–1). */
function ShareBar({ value, tone = "brand" }: { value: number; tone?: "brand" | "green" }) {
  return (
    <div className="h-1.5 w-full overflow-hidden rounded-full bg-slate-100" aria-hidden>
      <div className={cn("h-full rounded-full", tone === "green" ? "bg-emerald-500" : "bg-brand-500")} style={{ width: `${Math.min(100, Math.max(0, value * 100))}%` }} />
    </div>
  );
}

/** A grid table's header row, shown from sm up (below, each figure carries its own label). */
const gridHead = "hidden border-b border-slate-200 bg-slate-50/80 px-4 py-2 text-xs font-medium text-slate-500 sm:grid";
/** A grid table's body row. */
const gridRow = "border-b border-slate-100 px-4 py-2.5 text-slate-700 last:border-0 hover:bg-slate-50/70";

/** A column's name above its figure, on a phone only (the header row names it from sm up). */
function PhoneLabel({ children }: { children: ReactNode }) {
  return (
    <span className="block text-[11px] text-slate-500 sm:hidden" aria-hidden>
      {children}
    </span>
  );
}

/** A right-aligned figure cell of a grid table, labelled on a phone. */
function Figure({ label, testId, children, muted }: { label: string; testId?: string; children: ReactNode; muted?: boolean }) {
  return (
    <div role="cell" className="min-w-0 sm:text-right">
      <PhoneLabel>{label}</PhoneLabel>
      <span className={cn("tabular-nums", muted && "text-slate-500")} data-testid={testId}>
        {children}
      </span>
    </div>
  );
}

function Unavailable({ what }: { what: string }) {
  return <EmptyState title={`${what} is not available on this server yet`} description="This NextFlow version does not serve this part of the analytics API." />;
}

/** The funnel: per step, the period's executions that entered it, completed or failed there, or wait there now. */
function FunnelCard({ workflowId, period }: { workflowId: string; period: AnalyticsPeriod | null }) {
  const wf = useWorkflow(workflowId);
  // The funnel's route takes instants; the period's days start at UTC midnight.
  const span = period ? instants(period) : undefined;
  const stats = useWorkflowStats(workflowId, !!span, span ?? {});
  const rows = funnelRows(stats.data, wf.data?.definition);
  const ends = endShares(rows);
  const entries = stats.data?.entries ?? 0;
  const link = (f: { nodeId: string; nodeStatus?: string }) => routes.executions({ workflowId, ...f, from: span?.from, to: span?.to });
  return (
    <Card data-testid="funnel-card">
      <CardHeader title="Funnel" description="Executions that entered in the period, step by step; shares are of the period's entries." />
      {stats.isPending || wf.isPending ? (
        <TableSkeleton rows={4} cols={5} />
      ) : stats.isError ? (
        <ErrorState error={errorMessage(stats.error)} onRetry={() => void stats.refetch()} />
      ) : entries === 0 ? (
        <EmptyState
          icon={<GitBranch className="size-5" />}
          title="No executions entered in this period"
          description="Once the workflow runs, each step shows how many executions reached it, completed or failed there, or are waiting there now, and which end they reached."
        />
      ) : (
        <>
          <div role="table" aria-label="Funnel steps" className="text-sm" data-testid="funnel-table">
            <div role="row" className={cn(funnelGrid, gridHead)}>
              <span role="columnheader">Step</span>
              <span role="columnheader">Entered</span>
              <span role="columnheader" className="text-right">Completed</span>
              <span role="columnheader" className="text-right">Failed</span>
              <span role="columnheader" className="text-right">Waiting now</span>
            </div>
            {rows.map((r) => (
              <FunnelLine key={r.nodeId} r={r} link={link} />
            ))}
          </div>
          {ends.length > 0 && (
            <div className="border-t border-slate-200 px-4 py-3" data-testid="funnel-ends">
              <div className="mb-2 text-xs font-medium text-slate-500">Where executions ended</div>
              <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
                {ends.map((r) => (
                  <li key={r.nodeId} className="text-sm" data-testid={`end-${r.nodeId}`}>
                    <div className="flex items-baseline justify-between gap-2">
                      <span className="truncate text-slate-700">{r.label}</span>
                      <span className="shrink-0 text-xs text-slate-500 tabular-nums">
                        {count(r.entered)} · <span data-testid="end-share">{percent(r.share)}</span>
                      </span>
                    </div>
                    <ShareBar value={r.share} tone="green" />
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      )}
    </Card>
  );
}

/** The funnel's columns: one grid row per step from sm up; below, the step, its entries, then its outcomes side by side. */
const funnelGrid = "grid grid-cols-3 gap-x-4 gap-y-2 sm:grid-cols-[minmax(0,34%)_minmax(0,24%)_repeat(3,minmax(0,1fr))] sm:items-center sm:gap-y-0";

function FunnelLine({ r, link }: { r: FunnelRow; link: (f: { nodeId: string; nodeStatus?: string }) => string }) {
  const num = (n: number, status: string, cls: string) =>
    n > 0 ? (
      <Link href={link({ nodeId: r.nodeId, nodeStatus: status })} className={cn("hover:underline", cls)} data-testid={status.toLowerCase()}>
        {count(n)}
      </Link>
    ) : (
      <span className="text-slate-400" data-testid={status.toLowerCase()}>
        0
      </span>
    );
  return (
    <div role="row" className={cn(funnelGrid, gridRow)} data-testid={`funnel-row-${r.nodeId}`}>
      <div role="cell" className="col-span-3 flex min-w-0 items-center gap-2 sm:col-span-1">
        <span className="grid size-6 shrink-0 place-items-center rounded bg-slate-100 text-slate-600">
          <NodeIcon type={r.type} className="size-3.5" />
        </span>
        <span className="min-w-0">
          <span className="block truncate font-medium text-slate-900">{r.label}</span>
          <span className="block truncate font-mono text-[11px] text-slate-500">{r.nodeId}</span>
        </span>
      </div>
      <div role="cell" className="col-span-3 min-w-0 sm:col-span-1">
        <PhoneLabel>Entered</PhoneLabel>
        <div className="flex items-center gap-2">
          <span className="w-12 shrink-0 text-left tabular-nums sm:text-right" data-testid="entered">
            {count(r.entered)}
          </span>
          <ShareBar value={r.share} />
          <span className="w-12 shrink-0 text-right text-xs text-slate-500 tabular-nums">{percent(r.share)}</span>
        </div>
      </div>
      <Figure label="Completed">{num(r.completed, "COMPLETED", "text-emerald-700")}</Figure>
      <Figure label="Failed">{num(r.failed, "FAILED", "text-red-700")}</Figure>
      <Figure label="Waiting now">{num(r.waiting, "WAITING", "text-amber-700")}</Figure>
    </div>
  );
}

/** A/B split results: per split step, per variant, what the executions that took it achieved. */
function SplitsCard({ workflowId, period, goal }: { workflowId: string; period: AnalyticsPeriod | null; goal: Goal }) {
  const withGoal = !!goal.goal;
  const q = useSplitAnalytics(workflowId, period, withGoal ? goal : undefined);
  const splits = splitRows(q.data, withGoal);
  const wf = useWorkflow(workflowId);
  const endLabel = (id: string) => wf.data?.definition?.nodes?.find((n) => n.id === id)?.label || id;
  return (
    <Card data-testid="splits-card">
      <CardHeader
        title="A/B splits"
        description={withGoal ? `Per variant: executions that took it, how they ended, and conversion to ${goal.goal}.` : "Per variant: executions that took it and how they ended. Pick a goal event to compare conversion."}
      />
      {q.isPending ? (
        <TableSkeleton rows={3} cols={5} />
      ) : q.isError && isMissingRoute(q.error) ? (
        <Unavailable what="Split analytics" />
      ) : q.isError ? (
        <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
      ) : splits.length === 0 ? (
        <EmptyState
          icon={<Shuffle className="size-5" />}
          title="This workflow has no split"
          description="Add a Split step to send executions down variants by weight; each variant's entries, completions, failures and goal conversions appear here side by side."
        />
      ) : (
        splits.map((s) => (
          <div key={s.nodeId} className="border-b border-slate-200 last:border-0" data-testid={`split-${s.nodeId}`}>
            <div className="flex items-baseline justify-between gap-2 px-4 pt-3 text-sm">
              <span className="font-medium text-slate-900">{s.label}</span>
              <span className="text-xs text-slate-500">{count(s.total)} executions</span>
            </div>
            <VariantTable variants={s.variants} withGoal={withGoal} endLabel={endLabel} />
          </div>
        ))
      )}
    </Card>
  );
}

/** The columns of a split's variants: one grid row per variant from sm up; below, a stacked card of labelled figures. */
const variantGrid = "grid grid-cols-3 gap-x-4 gap-y-2 sm:grid-cols-[minmax(0,22%)_repeat(4,minmax(0,1fr))_minmax(0,24%)] sm:items-center sm:gap-y-0";

/** A split's variants side by side: weight, entries, how they ended and the completion or goal conversion rate. */
function VariantTable({ variants, withGoal, endLabel }: { variants: VariantRow[]; withGoal: boolean; endLabel: (nodeId: string) => string }) {
  const rateLabel = withGoal ? "Converted" : "Completion";
  return (
    <div role="table" aria-label="Split variants" className="text-sm">
      <div role="row" className={cn(variantGrid, gridHead)}>
        <span role="columnheader">Variant</span>
        <span role="columnheader" className="text-right">Weight</span>
        <span role="columnheader" className="text-right">Entered</span>
        <span role="columnheader" className="text-right">Completed</span>
        <span role="columnheader" className="text-right">Failed</span>
        <span role="columnheader">{rateLabel}</span>
      </div>
      {variants.map((v) => (
        <div key={v.name} role="row" className={cn(variantGrid, gridRow)} data-testid={`variant-${v.name}`}>
          <div role="cell" className="col-span-3 min-w-0 sm:col-span-1">
            <span className="font-medium text-slate-900">{v.name}</span>
            {v.leader && (
              <Badge tone="green" className="ml-2" data-testid="variant-leader">
                leading
              </Badge>
            )}
            {v.ends.length > 0 && (
              <span className="block truncate text-xs text-slate-500" data-testid="variant-ends" title="The end steps this variant's executions reached">
                {v.ends.map((e) => `${endLabel(e.nodeId)} ${count(e.count)}`).join(" · ")}
              </span>
            )}
          </div>
          <Figure label="Weight" muted>
            {v.weight}
          </Figure>
          <Figure label="Entered" testId="entered">
            {count(v.entered)}
          </Figure>
          <Figure label="Completed" testId="completed">
            {count(v.completed)}
          </Figure>
          <Figure label="Failed" testId="failed">
            {count(v.failed)}
          </Figure>
          <div role="cell" className="col-span-2 min-w-0 sm:col-span-1">
            <PhoneLabel>{rateLabel}</PhoneLabel>
            <div className="flex items-center gap-2">
              <ShareBar value={withGoal ? (v.conversionRate ?? 0) : v.completionRate} tone="green" />
              <span className="w-20 shrink-0 text-right text-xs tabular-nums" data-testid="rate">
                {withGoal ? `${count(v.converted)} · ${percent(v.conversionRate)}` : percent(v.completionRate)}
              </span>
            </div>
          </div>
        </div>
      ))}
    </div>
  );
}

/** Conversion to the goal event within the window after entry: headline figures and entries vs converted per day. */
function ConversionCard({ workflowId, period, goal, onGoal }: { workflowId: string; period: AnalyticsPeriod | null; goal: Goal; onGoal: (patch: Partial<Goal>) => void }) {
  const q = useConversion(workflowId, period, goal);
  const d = q.data;
  return (
    <Card data-testid="conversion-card">
      <CardHeader title="Goal conversion" description="Executions whose contact did the goal event within the window after the execution started." />
      <div className="border-b border-slate-200 px-4 py-3">
        <GoalPicker goal={goal.goal} within={goal.within} onChange={onGoal} />
      </div>
      {!goal.goal ? (
        <EmptyState
          icon={<Target className="size-5" />}
          title="Pick a goal event"
          description="Choose the event that means success (an order, a sign-in, an upgrade) and a window: you will see how many entries converted, the rate, the median time to convert, and each day's entries beside their conversions."
        />
      ) : q.isPending && period ? (
        <div className="p-4">
          <Skeleton className="h-[220px]" />
        </div>
      ) : q.isError && isMissingRoute(q.error) ? (
        <Unavailable what="Conversion" />
      ) : q.isError ? (
        <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
      ) : d && period ? (
        <div className="p-4">
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" data-testid="conversion-totals">
            <StatTile label="Entries" value={count(d.entries)} testId="conv-entries" />
            <StatTile label="Converted" value={count(d.converted)} tone="green" testId="conv-converted" />
            <StatTile label="Conversion rate" value={percent(d.entries ? d.rate : null)} testId="conv-rate" />
            <StatTile label="Median time to convert" value={d.converted > 0 ? seconds(d.medianSecondsToConvert) : "—"} testId="conv-median" />
          </div>
          {d.entries > 0 ? (
            <div className="mt-4" data-testid="conversion-chart">
              <ConversionChart rows={conversionSeries(d, period)} />
            </div>
          ) : (
            <p className="mt-4 text-sm text-slate-500">No execution entered in this period, so nothing could convert.</p>
          )}
        </div>
      ) : null}
    </Card>
  );
}

/** WorkflowAnalytics: one workflow's funnel, split results and goal conversion for a period. */
export function WorkflowAnalytics({
  workflowId,
  period,
  goal,
  onGoal,
}: {
  workflowId: string;
  period: AnalyticsPeriod | null;
  goal: Goal;
  onGoal: (patch: Partial<Goal>) => void;
}) {
  return (
    <div className="space-y-4" data-testid="workflow-analytics">
      <FunnelCard workflowId={workflowId} period={period} />
      <ConversionCard workflowId={workflowId} period={period} goal={goal} onGoal={onGoal} />
      <SplitsCard workflowId={workflowId} period={period} goal={goal} />
    </div>
  );
}
