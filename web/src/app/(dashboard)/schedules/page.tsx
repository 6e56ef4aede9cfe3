"use client";
import { useState } from "react";
import Link from "next/link";
import { CalendarClock, Play, Trash2 } from "lucide-react";
import { useSchedules } from "@/entities/schedule";
import { useWorkflows } from "@/entities/workflow";
import { NewScheduleButton } from "@/features/schedule-create";
import { useScheduleActions } from "@/features/schedule-manage";
import { errorMessage, type Schedule } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatInZone, formatRelative } from "@/shared/lib";
import { Button, Card, ConfirmDialog, EmptyState, ErrorState, PageHeader, Switch, TableSkeleton } from "@/shared/ui";

/** When the schedule runs next, in its own time zone, with the following runs below. */
function NextRuns({ s }: { s: Schedule }) {
  if (!s.isActive) return <span className="text-slate-400">Paused</span>;
  const runs = s.nextRuns ?? [];
  if (runs.length === 0) return <span className="text-slate-400">No upcoming run</span>;
  return (
    <div data-testid="schedule-next-runs">
      <div className="text-slate-900">
        {formatInZone(runs[0], s.timezone)} <span className="text-slate-500">({formatRelative(runs[0])})</span>
      </div>
      {runs.length > 1 && (
        <div className="mt-0.5 text-[11px] leading-4 text-slate-500">
          then {runs.slice(1, 4).map((r) => formatInZone(r, s.timezone)).join(" · ")}
        </div>
      )}
    </div>
  );
}

function ScheduleCard({ s, workflowName }: { s: Schedule; workflowName?: string }) {
  const { toggle, run, del } = useScheduleActions(s.id);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const fromNode = !s.nodeId.startsWith("schedule:");
  return (
    <li className="grid gap-x-6 gap-y-3 px-4 py-3.5 md:grid-cols-[minmax(0,1.3fr)_minmax(0,1.6fr)_minmax(0,0.8fr)_auto]" data-testid="schedule-row">
      <div className="min-w-0">
        <Link href={routes.workflow(s.workflowId)} className="block truncate text-sm font-medium text-slate-900 hover:text-brand-700">
          {workflowName ?? "Workflow"}
        </Link>
        <div className="mt-0.5 text-xs text-slate-500">
          <span className="font-mono text-slate-700">{s.cron}</span> · {s.timezone}
        </div>
        <div className="text-[11px] text-slate-400">{fromNode ? `From trigger “${s.nodeId}”` : "Created here"}</div>
      </div>
      <div className="min-w-0 text-xs">
        <div className="mb-0.5 text-[11px] font-medium tracking-wide text-slate-400 uppercase md:hidden">Next run</div>
        <NextRuns s={s} />
      </div>
      <div className="text-xs text-slate-500">
        <div className="mb-0.5 text-[11px] font-medium tracking-wide text-slate-400 uppercase md:hidden">Last run</div>
        <span data-testid="schedule-last-run" title={s.lastRunAt ? formatInZone(s.lastRunAt, s.timezone) : undefined}>
          {s.lastRunAt ? formatRelative(s.lastRunAt) : "Never"}
        </span>
      </div>
      <div className="flex items-center gap-2 md:justify-end">
        <Switch checked={toggle.isPending ? !!toggle.variables : s.isActive} disabled={toggle.isPending} onChange={(v) => toggle.mutate(v)} label={s.isActive ? "Pause schedule" : "Resume schedule"} />
        <Button size="sm" variant="ghost" aria-label="Run now" title="Run now" loading={run.isPending} onClick={() => run.mutate()} data-testid="schedule-run-now">
          {!run.isPending && <Play className="size-3.5" />}
        </Button>
        {!fromNode && (
          <Button size="sm" variant="ghost" aria-label="Delete schedule" title="Delete" loading={del.isPending} onClick={() => setConfirmDelete(true)} data-testid="schedule-delete">
            {!del.isPending && <Trash2 className="size-3.5" />}
          </Button>
        )}
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title="Delete this schedule?"
        confirmLabel="Delete schedule"
        pending={del.isPending}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => del.mutate(undefined, { onSettled: () => setConfirmDelete(false) })}
      >
        {workflowName ?? "The workflow"} will no longer start at <span className="font-mono">{s.cron}</span> ({s.timezone}). Executions already started are not
        affected.
      </ConfirmDialog>
    </li>
  );
}

export default function SchedulesPage() {
  const list = useSchedules();
  const workflows = useWorkflows();
  const names = new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name]));
  const items = list.data ?? [];
  return (
    <>
      <PageHeader title="Schedules" description="Time-based starts. Activating a workflow with a schedule trigger creates one here." actions={<NewScheduleButton />} />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={6} />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<CalendarClock className="size-5" />}
            title="No schedules yet"
            description="Add a “Schedule” trigger to a workflow and activate it, or create a schedule here for any published workflow."
            action={<NewScheduleButton />}
          />
        ) : (
          <>
            <div className="hidden grid-cols-[minmax(0,1.3fr)_minmax(0,1.6fr)_minmax(0,0.8fr)_auto] gap-x-6 border-b border-slate-200 bg-slate-50/60 px-4 py-2 text-xs font-medium text-slate-500 md:grid">
              <span>Workflow</span>
              <span>Next runs (schedule&apos;s time zone)</span>
              <span>Last run</span>
              <span className="sr-only">Actions</span>
            </div>
            <ul className="divide-y divide-slate-100">
              {items.map((s) => (
                <ScheduleCard key={s.id} s={s} workflowName={names.get(s.workflowId)} />
              ))}
            </ul>
          </>
        )}
      </Card>
    </>
  );
}
