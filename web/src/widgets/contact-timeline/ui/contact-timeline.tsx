"use client";
import { useMemo, useState, type ReactNode } from "react";
import Link from "next/link";
import { CircleDot, LogIn, LogOut, Zap } from "lucide-react";
import { useContactTimeline, type TimelineItem } from "@/entities/contact";
import { propertiesPreview } from "@/entities/event";
import { ExecutionStatusBadge } from "@/entities/execution";
import { useWorkflows } from "@/entities/workflow";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { cn, formatDateTime, formatRelative, prettyJson, shortId } from "@/shared/lib";
import { Button, Card, CardHeader, EmptyState, ErrorState, Skeleton } from "@/shared/ui";

const look = {
  event: { Icon: Zap, ring: "bg-amber-50 text-amber-700" },
  "journey.entered": { Icon: LogIn, ring: "bg-brand-50 text-brand-700" },
  "journey.exited": { Icon: LogOut, ring: "bg-slate-100 text-slate-600" },
  step: { Icon: CircleDot, ring: "bg-white text-slate-400" },
} as const;

function Row({ it, workflowName }: { it: TimelineItem; workflowName: (id?: string | null) => string }) {
  const [open, setOpen] = useState(false);
  const l = look[it.kind as keyof typeof look] ?? look.step;
  const wf = workflowName(it.workflowId);
  const exec = it.executionId ? routes.execution(it.executionId) : undefined;
  const preview = it.kind === "event" ? propertiesPreview(it.properties) : "";
  let title: ReactNode;
  switch (it.kind) {
    case "event":
      title = <span className="font-mono text-[13px] font-medium break-all text-slate-900">{it.name}</span>;
      break;
    case "journey.entered":
    case "journey.exited":
      title = (
        <span className="text-slate-700">
          {it.kind === "journey.entered" ? "Entered " : "Left "}
          {exec ? (
            <Link href={exec} className="font-medium text-slate-900 hover:text-brand-700">
              {wf}
            </Link>
          ) : (
            <span className="font-medium text-slate-900">{wf}</span>
          )}
        </span>
      );
      break;
    default:
      title = (
        <span className="text-slate-600">
          Step <span className="font-mono text-xs text-slate-800">{it.nodeId}</span>
          {it.name && <span className="text-xs text-slate-400"> ({it.name})</span>}
          {exec && (
            <>
              {" "}
              in{" "}
              <Link href={exec} className="text-slate-800 hover:text-brand-700">
                {wf}
              </Link>
            </>
          )}
        </span>
      );
  }
  return (
    <li className={cn("flex gap-3 px-4", it.kind === "step" ? "py-1.5" : "py-2.5")} data-testid="timeline-item" data-kind={it.kind}>
      <span className={cn("mt-0.5 grid size-6 shrink-0 place-items-center rounded-full", l.ring)}>
        <l.Icon className="size-3.5" aria-hidden />
      </span>
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-sm">
          <span className="min-w-0">{title}</span>
          {it.status && it.kind !== "journey.entered" && <ExecutionStatusBadge status={it.status} />}
          <time className="ml-auto shrink-0 text-xs text-slate-400" dateTime={it.at} title={formatDateTime(it.at)}>
            {formatRelative(it.at)}
          </time>
        </div>
        {preview && (
          <button type="button" className="mt-0.5 block max-w-full truncate text-left font-mono text-[11px] text-slate-500 hover:text-slate-700" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
            {preview}
          </button>
        )}
        {open && <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 px-2 py-1 font-mono text-[11px] text-slate-600">{prettyJson(it.properties)}</pre>}
      </div>
    </li>
  );
}

const rank: Record<string, number> = { "journey.exited": 3, step: 2, "journey.entered": 1, event: 0 };

/**
 * orderTimeline sorts loaded items newest first by their instant, a
 * journey's exit before its steps before its entry at the same instant.
 * The server pages in this order too; sorting again keeps the display right
 * when its time texts compare differently from the instants they name.
 */
export function orderTimeline(items: TimelineItem[]): TimelineItem[] {
  return items
    .map((it, i) => ({ it, i, t: Date.parse(it.at) }))
    .sort((a, b) => b.t - a.t || (rank[b.it.kind] ?? 0) - (rank[a.it.kind] ?? 0) || a.i - b.i)
    .map((x) => x.it);
}

/**
 * A contact's timeline: the events it sent, the journeys it entered and
 * left and the steps they ran, newest first, 50 at a time.
 */
export function ContactTimeline({ contactId }: { contactId: string }) {
  const tl = useContactTimeline(contactId);
  const wfs = useWorkflows();
  const names = useMemo(() => new Map((wfs.data?.items ?? []).map((w) => [w.id, w.name])), [wfs.data]);
  const workflowName = (id?: string | null) => (id ? (names.get(id) ?? `Workflow ${shortId(id)}`) : "a journey");
  const items = useMemo(() => orderTimeline(tl.data?.pages.flatMap((p) => p.items ?? []) ?? []), [tl.data]);
  return (
    <Card data-testid="contact-timeline">
      <CardHeader title="Timeline" description="Events, journeys entered and left, and their steps, newest first." />
      {tl.isPending ? (
        <div className="space-y-2 p-4">
          <Skeleton className="h-8 w-full" />
          <Skeleton className="h-8 w-full" />
          <Skeleton className="h-8 w-2/3" />
        </div>
      ) : tl.isError && isMissingRoute(tl.error) ? (
        <EmptyState title="The timeline is not available on this server yet" />
      ) : tl.isError ? (
        <ErrorState error={errorMessage(tl.error)} onRetry={() => void tl.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="Nothing has happened yet" description="Events from your app and the journeys this contact enters show here." />
      ) : (
        <>
          <ol className="divide-y divide-slate-100">
            {items.map((it) => (
              <Row key={`${it.kind}-${it.id}-${it.at}`} it={it} workflowName={workflowName} />
            ))}
          </ol>
          {tl.hasNextPage && (
            <div className="border-t border-slate-200 px-4 py-2 text-center">
              <Button size="sm" loading={tl.isFetchingNextPage} onClick={() => void tl.fetchNextPage()} data-testid="timeline-more">
                Load older
              </Button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
