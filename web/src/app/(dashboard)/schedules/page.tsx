"use client";
import { useState, type FormEvent } from "react";
import Link from "next/link";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CalendarClock, Play, Plus, Trash2 } from "lucide-react";
import { scheduleApi, useSchedules } from "@/entities/schedule";
import { useWorkflows } from "@/entities/workflow";
import { errorMessage, queryKeys, type Schedule } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Alert, Button, Card, Dialog, EmptyState, ErrorState, Field, Input, PageHeader, Select, Switch, TableSkeleton, table, useToast } from "@/shared/ui";

function NewSchedule() {
  const [open, setOpen] = useState(false);
  const workflows = useWorkflows();
  const [v, setV] = useState<{ workflowId: string; cron: string; timezone: string; missedRuns: "skip" | "catch_up" }>({
    workflowId: "",
    cron: "0 9 * * 1-5",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    missedRuns: "skip",
  });
  const qc = useQueryClient();
  const toast = useToast();
  const create = useMutation({
    mutationFn: () => scheduleApi.create(v),
    onSuccess: () => {
      setOpen(false);
      toast("Schedule created.");
      void qc.invalidateQueries({ queryKey: queryKeys.schedules.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)}>
        New schedule
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="New schedule"
        description="Starts the workflow on a cron schedule, in a time zone, exactly once per tick."
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" type="submit" form="new-schedule" loading={create.isPending} disabled={!v.workflowId || !v.cron}>
              Create schedule
            </Button>
          </>
        }
      >
        <form id="new-schedule" className="space-y-4" onSubmit={submit}>
          {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
          <Field label="Workflow" required>
            {(ids) => (
              <Select {...ids} value={v.workflowId} onChange={(e) => setV({ ...v, workflowId: e.target.value })}>
                <option value="">Choose a workflow…</option>
                {(workflows.data?.items ?? []).map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Cron" required hint="5 fields (minute hour day month weekday), or @daily, @every 15m.">
            {(ids) => <Input {...ids} className="font-mono" value={v.cron} onChange={(e) => setV({ ...v, cron: e.target.value })} />}
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Time zone" hint="IANA name, e.g. Europe/Berlin.">
              {(ids) => <Input {...ids} value={v.timezone} onChange={(e) => setV({ ...v, timezone: e.target.value })} />}
            </Field>
            <Field label="After downtime">
              {(ids) => (
                <Select {...ids} value={v.missedRuns} onChange={(e) => setV({ ...v, missedRuns: e.target.value as "skip" | "catch_up" })}>
                  <option value="skip">Skip missed runs</option>
                  <option value="catch_up">Catch up</option>
                </Select>
              )}
            </Field>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function Row({ s, workflowName }: { s: Schedule; workflowName?: string }) {
  const qc = useQueryClient();
  const toast = useToast();
  const done = (msg: string) => {
    toast(msg);
    void qc.invalidateQueries({ queryKey: queryKeys.schedules.all });
  };
  const toggle = useMutation({
    mutationFn: (on: boolean) => (on ? scheduleApi.resume(s.id) : scheduleApi.pause(s.id)),
    onSuccess: (_, on) => done(on ? "Schedule resumed." : "Schedule paused."),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const run = useMutation({ mutationFn: () => scheduleApi.runNow(s.id), onSuccess: () => done("Started a run."), onError: (e) => toast(errorMessage(e), "error") });
  const del = useMutation({ mutationFn: () => scheduleApi.remove(s.id), onSuccess: () => done("Schedule deleted."), onError: (e) => toast(errorMessage(e), "error") });
  const fromNode = !s.nodeId.startsWith("schedule:");
  return (
    <tr className={table.row}>
      <td className={`${table.td} truncate`}>
        <Link href={routes.workflow(s.workflowId)} className="font-medium text-slate-900 hover:text-brand-700">
          {workflowName ?? "Workflow"}
        </Link>
        <div className="text-xs text-slate-400">{fromNode ? `From trigger “${s.nodeId}”` : "Created here"}</div>
      </td>
      <td className={`${table.td} font-mono text-xs`}>{s.cron}</td>
      <td className={`${table.td} truncate text-xs`}>{s.timezone}</td>
      <td className={`${table.td} text-xs`} title={(s.nextRuns ?? []).map((r) => formatDateTime(r)).join("\n")}>
        {s.isActive ? formatRelative(s.nextRunAt) : <span className="text-slate-400">Paused</span>}
      </td>
      <td className={`${table.td} text-xs text-slate-500`}>{s.lastRunAt ? formatRelative(s.lastRunAt) : "Never"}</td>
      <td className={table.td}>
        <Switch checked={toggle.isPending ? !!toggle.variables : s.isActive} disabled={toggle.isPending} onChange={(v) => toggle.mutate(v)} label={s.isActive ? "Pause schedule" : "Resume schedule"} />
      </td>
      <td className={table.td}>
        <div className="flex justify-end gap-1">
          <Button size="sm" variant="ghost" aria-label="Run now" title="Run now" loading={run.isPending} onClick={() => run.mutate()}>
            {!run.isPending && <Play className="size-3.5" />}
          </Button>
          {!fromNode && (
            <Button size="sm" variant="ghost" aria-label="Delete schedule" title="Delete" loading={del.isPending} onClick={() => del.mutate()}>
              {!del.isPending && <Trash2 className="size-3.5" />}
            </Button>
          )}
        </div>
      </td>
    </tr>
  );
}

export default function SchedulesPage() {
  const list = useSchedules();
  const workflows = useWorkflows();
  const names = new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name]));
  const items = list.data ?? [];
  return (
    <>
      <PageHeader title="Schedules" description="Time-based starts. Activating a workflow with a schedule trigger creates one here." actions={<NewSchedule />} />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={6} />
        ) : list.isError ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<CalendarClock className="size-5" />}
            title="No schedules yet"
            description="Add a “Schedule” trigger to a workflow and activate it, or create a schedule here for any published workflow."
            action={<NewSchedule />}
          />
        ) : (
          <table className={table.root}>
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[26%]`}>Workflow</th>
                <th className={`${table.th} w-[14%]`}>Cron</th>
                <th className={`${table.th} w-[15%]`}>Time zone</th>
                <th className={`${table.th} w-[13%]`}>Next run</th>
                <th className={`${table.th} w-[12%]`}>Last run</th>
                <th className={`${table.th} w-[8%]`}>Active</th>
                <th className={`${table.th} w-[12%]`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <Row key={s.id} s={s} workflowName={names.get(s.workflowId)} />
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
