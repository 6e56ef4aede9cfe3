"use client";
import { Suspense, type ReactNode } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { ArrowLeft, ArrowRight } from "lucide-react";
import { BroadcastProgressBar, BroadcastStatusBadge, broadcastProgress, useBroadcast } from "@/entities/broadcast";
import { useSegment } from "@/entities/segment";
import { useWorkflow } from "@/entities/workflow";
import { BroadcastControls } from "@/features/broadcast-control";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Alert, Card, CardHeader, EmptyState, ErrorState, Skeleton } from "@/shared/ui";

function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0 px-4 py-3" data-testid={testId}>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-lg font-semibold text-slate-900 tabular-nums">{value}</dd>
    </div>
  );
}

const scheduleWords = { now: "Now", at: "At a time", contact_local: "Each contact's local time" } as const;

function BroadcastView({ id }: { id: string }) {
  const q = useBroadcast(id);
  const seg = useSegment(q.data?.segmentId ?? null);
  const wf = useWorkflow(q.data?.workflowId ?? null);
  if (q.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-40 w-full" />
      </div>
    );
  if (q.isError)
    return (
      <ErrorState
        error={isApiError(q.error) && q.error.status === 404 ? "This broadcast does not exist in this workspace." : errorMessage(q.error)}
        onRetry={() => void q.refetch()}
      />
    );
  const b = q.data;
  const pct = Math.round(broadcastProgress(b) * 100);
  return (
    <>
      <Link href={routes.broadcasts} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Broadcasts
      </Link>
      <div className="mb-5 flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="flex flex-wrap items-center gap-2 text-lg font-semibold break-words text-slate-900" data-testid="broadcast-title">
            {b.name} <BroadcastStatusBadge status={b.status} />
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {wf.data ? wf.data.name : "A workflow"} (v{b.workflowVersion}) to {seg.data ? seg.data.name : "a segment"}, at most {b.ratePerSecond.toLocaleString("en")} contacts a second
          </p>
        </div>
        <BroadcastControls broadcast={b} />
      </div>
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_340px]">
        <div className="min-w-0 space-y-5">
          <Card data-testid="broadcast-progress" data-done={b.done} data-total={b.total}>
            <CardHeader title="Progress" description={b.total > 0 ? `${pct}% of the recipients handled` : b.status === "scheduled" ? "The recipients are taken from the segment when it starts." : undefined} />
            <div className="space-y-2 px-4 py-3">
              <BroadcastProgressBar done={b.done} total={b.total} />
              <p className="text-sm text-slate-600 tabular-nums">
                <span className="font-semibold text-slate-900">{b.done.toLocaleString("en")}</span> of {b.total.toLocaleString("en")} done
              </p>
            </div>
            <dl className="grid grid-cols-3 divide-x divide-slate-100 border-t border-slate-100">
              <Stat label="Recipients" value={b.total.toLocaleString("en")} />
              <Stat label="Started" value={b.started.toLocaleString("en")} testId="broadcast-started" />
              <Stat label="Skipped" value={b.skipped.toLocaleString("en")} />
            </dl>
            {b.lastError && (
              <div className="border-t border-slate-100 p-3">
                <Alert tone="warning">Last skip: {b.lastError}</Alert>
              </div>
            )}
            {b.started > 0 && (
              <div className="border-t border-slate-100 px-4 py-2.5">
                <Link href={routes.executions({ workflowId: b.workflowId })} className="inline-flex items-center gap-1 text-xs font-medium text-brand-600 hover:underline">
                  Executions of the workflow <ArrowRight className="size-3" aria-hidden />
                </Link>
              </div>
            )}
          </Card>
        </div>
        <Card>
          <CardHeader title="Schedule" />
          <dl className="divide-y divide-slate-100 text-sm">
            {(
              [
                ["When", scheduleWords[b.scheduleMode as keyof typeof scheduleWords] ?? b.scheduleMode],
                ["Send at", b.sendAt ? `${b.sendAt.replace("T", " ")} ${b.scheduleMode === "contact_local" ? "(each contact's time)" : b.timezone}` : null],
                ["Starts", formatDateTime(b.startsAt)],
                ["Started", b.startedAt ? formatRelative(b.startedAt) : null],
                ["Finished", b.finishedAt ? formatRelative(b.finishedAt) : null],
                ["Created", formatDateTime(b.createdAt)],
              ] as [string, ReactNode][]
            )
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <div key={k} className="flex gap-3 px-4 py-2">
                  <dt className="w-20 shrink-0 text-xs leading-5 text-slate-500">{k}</dt>
                  <dd className="min-w-0 flex-1 break-words text-slate-800">{v}</dd>
                </div>
              ))}
          </dl>
        </Card>
      </div>
    </>
  );
}

function View() {
  const id = useSearchParams().get("id");
  if (!id) return <EmptyState title="No broadcast selected" description="Open a broadcast from the list." />;
  return <BroadcastView id={id} />;
}

/** A broadcast's progress (done / total), schedule, and pause, resume, cancel. */
export default function BroadcastPage() {
  return (
    <Suspense>
      <View />
    </Suspense>
  );
}
