"use client";
import { Suspense, useState } from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Activity, X } from "lucide-react";
import { useQuery } from "@tanstack/react-query";
import { executionApi, ExecutionStatusBadge } from "@/entities/execution";
import { useWorkflow, useWorkflows } from "@/entities/workflow";
import { EXECUTION_STATUSES, errorMessage, queryKeys, type Execution } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDuration, formatRelative, shortId, useDebouncedValue } from "@/shared/lib";
import { Badge, Button, Card, EmptyState, ErrorState, Input, PageHeader, Select, TableSkeleton, table } from "@/shared/ui";

const day = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/** StepFilterChip names the builder's count this list was opened from: the step (by its label), its status or handle, the period. */
function StepFilterChip(p: { workflowId: string; nodeId: string; nodeStatus: string; handle: string; from: string; to: string; onClear: () => void }) {
  const wf = useWorkflow(p.nodeId && p.workflowId ? p.workflowId : null);
  if (!p.nodeId && !p.from && !p.to) return null;
  const node = wf.data?.definition?.nodes?.find((n) => n.id === p.nodeId);
  const parts = [
    p.nodeId && `Step “${node?.label || p.nodeId}”`,
    p.nodeId && p.nodeStatus && p.nodeStatus.toLowerCase().replaceAll(",", " or "),
    p.nodeId && p.handle && `left by ${p.handle === "out" ? "its output" : `“${p.handle}”`}`,
    p.from && p.to ? `${day(p.from)} – ${day(p.to)}` : p.from ? `since ${day(p.from)}` : p.to ? `before ${day(p.to)}` : "",
  ].filter(Boolean);
  return (
    <span className="inline-flex max-w-full items-center gap-1 rounded-md border border-brand-200 bg-brand-50 py-0.5 pr-1 pl-2 text-xs text-brand-800" data-testid="step-filter">
      <span className="truncate">{parts.join(" · ")}</span>
      <button type="button" onClick={p.onClear} className="rounded p-0.5 hover:bg-brand-100" aria-label="Remove the step filter">
        <X className="size-3.5" />
      </button>
    </span>
  );
}

function Executions() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const workflowId = params.get("workflowId") ?? "";
  const status = params.get("status") ?? "";
  const test = params.get("test") === "true" || params.get("test") === "false" ? (params.get("test") as "true" | "false") : "";
  const [contact, setContact] = useState(params.get("contactId") ?? "");
  const contactId = useDebouncedValue(contact.trim(), 300);
  // The builder's counts open this list for one step (and status or handle) in their period.
  const step = {
    nodeId: params.get("nodeId") ?? "",
    nodeStatus: params.get("nodeStatus") ?? "",
    handle: params.get("handle") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
  };
  // Paging restarts whenever a filter changes.
  const filterKey = JSON.stringify([workflowId, status, contactId, step, test]);
  const [paging, setPaging] = useState({ key: filterKey, cursors: [""] });
  const cursors = paging.key === filterKey ? paging.cursors : [""];
  const setCursors = (f: (c: string[]) => string[]) => setPaging({ key: filterKey, cursors: f(cursors) });
  const cursor = cursors[cursors.length - 1] ?? "";
  const setFilter = (k: string, v: string) => {
    const next = new URLSearchParams(params.toString());
    if (v) next.set(k, v);
    else next.delete(k);
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`);
  };
  const filters = {
    workflowId: workflowId || undefined,
    status: status || undefined,
    contactId: contactId || undefined,
    nodeId: step.nodeId || undefined,
    nodeStatus: (step.nodeId && step.nodeStatus) || undefined,
    handle: (step.nodeId && step.handle) || undefined,
    from: step.from || undefined,
    to: step.to || undefined,
    test: test || undefined,
    cursor: cursor || undefined,
  };
  const list = useQuery({
    queryKey: queryKeys.executions.list(filters),
    queryFn: () => executionApi.list({ ...filters, limit: 50 }),
    refetchInterval: 15_000,
    placeholderData: (prev) => prev,
  });
  const workflows = useWorkflows();
  const names = new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name]));
  const items: Execution[] = list.data?.items ?? [];
  const filtered = !!(workflowId || status || contactId || step.nodeId || step.from || step.to || test);
  return (
    <>
      <PageHeader title="Executions" description="Every run of every workflow, live. Open one to see each step's input, output and timing." />
      <Card>
        <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 p-3">
          <Select className="w-full sm:w-56" aria-label="Filter by workflow" value={workflowId} onChange={(e) => setFilter("workflowId", e.target.value)} data-testid="filter-workflow">
            <option value="">All workflows</option>
            {(workflows.data?.items ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </Select>
          <Select className="min-w-0 flex-1 sm:w-40 sm:flex-none" aria-label="Filter by status" value={status} onChange={(e) => setFilter("status", e.target.value)} data-testid="filter-status">
            <option value="">Any status</option>
            {EXECUTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.charAt(0) + s.slice(1).toLowerCase()}
              </option>
            ))}
          </Select>
          <Select className="min-w-0 flex-1 sm:w-36 sm:flex-none" aria-label="Filter test runs" value={test} onChange={(e) => setFilter("test", e.target.value)} data-testid="filter-test">
            <option value="">Real and test</option>
            <option value="false">Real runs</option>
            <option value="true">Test runs</option>
          </Select>
          <Input className="w-full sm:w-64" aria-label="Filter by contact ID" placeholder="Contact ID" value={contact} onChange={(e) => setContact(e.target.value)} />
          <StepFilterChip workflowId={workflowId} {...step} onClear={() => {
            const next = new URLSearchParams(params.toString());
            for (const k of ["nodeId", "nodeStatus", "handle", "from", "to"]) next.delete(k);
            router.replace(`${pathname}${next.size ? `?${next}` : ""}`);
          }} />
          {filtered && (
            <Button variant="ghost" size="sm" onClick={() => (setContact(""), router.replace(pathname))}>
              Clear filters
            </Button>
          )}
        </div>
        {list.isPending ? (
          <TableSkeleton cols={6} />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Activity className="size-5" />} title="No execution matches these filters" description="Clear a filter to see more." />
          ) : (
            <EmptyState
              icon={<Activity className="size-5" />}
              title="No executions yet"
              description="Executions appear when an active workflow is triggered — by an event, a schedule, a webhook, or “Run now” in the builder."
              action={
                <Link href={routes.workflows} className="text-sm font-medium text-brand-600 hover:underline">
                  Go to workflows
                </Link>
              }
            />
          )
        ) : (
          <>
            <table className={`${table.root} hidden md:table`} data-testid="executions-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[14%]`}>Execution</th>
                  <th className={`${table.th} w-[28%]`}>Workflow</th>
                  <th className={`${table.th} w-[14%]`}>Status</th>
                  <th className={`${table.th} w-[16%]`}>Contact</th>
                  <th className={`${table.th} w-[14%]`}>Started</th>
                  <th className={`${table.th} w-[14%]`}>Duration</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id} className={`${table.row} cursor-pointer`} onClick={() => router.push(routes.execution(e.id))} data-testid={`execution-row-${e.id}`}>
                    <td className={table.td}>
                      <Link href={routes.execution(e.id)} className="font-mono text-xs text-brand-700 hover:underline" onClick={(ev) => ev.stopPropagation()}>
                        {shortId(e.id)}
                      </Link>
                    </td>
                    <td className={`${table.td} truncate`}>
                      {names.get(e.workflowId) ?? shortId(e.workflowId)}
                      {e.test ? (
                        <Badge tone="violet" className="ml-1.5" title="A test run of the draft: left out of stats" data-testid="execution-test-badge">
                          test
                        </Badge>
                      ) : (
                        <span className="ml-1.5 text-xs text-slate-400">v{e.version}</span>
                      )}
                    </td>
                    <td className={table.td}>
                      <ExecutionStatusBadge status={String(e.status)} />
                    </td>
                    <td className={`${table.td} truncate font-mono text-xs`}>
                      {e.contactId ? (
                        <Link href={routes.contact(e.contactId)} onClick={(ev) => ev.stopPropagation()} className="hover:underline">
                          {shortId(e.contactId)}
                        </Link>
                      ) : (
                        <span className="text-slate-400">—</span>
                      )}
                    </td>
                    <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(e.startedAt ?? e.createdAt)}</td>
                    <td className={`${table.td} font-mono text-xs text-slate-500`}>{e.finishedAt ? formatDuration(e.startedAt ?? e.createdAt, e.finishedAt) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {/* Narrow screens: one card per execution instead of six squeezed columns. */}
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="executions-cards">
              {items.map((e) => (
                <li key={e.id}>
                  <Link href={routes.execution(e.id)} className="block space-y-1 px-3 py-2.5 hover:bg-slate-50" data-testid={`execution-card-${e.id}`}>
                    <span className="flex items-center justify-between gap-2">
                      <span className="min-w-0 truncate text-sm font-medium text-slate-900">{names.get(e.workflowId) ?? shortId(e.workflowId)}</span>
                      <ExecutionStatusBadge status={String(e.status)} />
                    </span>
                    <span className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-500">
                      {e.test ? (
                        <Badge tone="violet" title="A test run of the draft: left out of stats" data-testid="execution-card-test-badge">
                          test
                        </Badge>
                      ) : (
                        <span className="text-slate-400">v{e.version}</span>
                      )}
                      <span className="font-mono text-brand-700">{shortId(e.id)}</span>
                      <span>{formatRelative(e.startedAt ?? e.createdAt)}</span>
                      {e.finishedAt && <span className="font-mono">{formatDuration(e.startedAt ?? e.createdAt, e.finishedAt)}</span>}
                      {e.contactId && <span className="font-mono">contact {shortId(e.contactId)}</span>}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
            <div className="flex items-center justify-end gap-2 border-t border-slate-200 px-3 py-2">
              <Button size="sm" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous
              </Button>
              <Button size="sm" disabled={!list.data?.nextCursor} onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data!.nextCursor!])}>
                Next
              </Button>
            </div>
          </>
        )}
      </Card>
    </>
  );
}

export default function ExecutionsPage() {
  return (
    <Suspense>
      <Executions />
    </Suspense>
  );
}
