"use client";
import { useMemo, useState } from "react";
import Link from "next/link";
import { Search, Workflow as WorkflowIcon } from "lucide-react";
import { useWorkflows, WorkflowStatusBadge } from "@/entities/workflow";
import { useExecutions, ExecutionStatusBadge } from "@/entities/execution";
import { useCan } from "@/entities/session";
import { ActiveToggle, CreateWorkflowButton, WorkflowRowActions } from "@/features/workflow-manage";
import { ExportWorkflowButton, ImportWorkflowButton, StarterGalleryButton } from "@/features/workflow-transfer";
import { DraftWithAIButton } from "@/features/ai-draft";
import { errorMessage } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatRelative, useDebouncedValue } from "@/shared/lib";
import { Card, EmptyState, ErrorState, Input, PageHeader, Select, TableSkeleton, table } from "@/shared/ui";

export default function WorkflowsPage() {
  const [q, setQ] = useState("");
  const [active, setActive] = useState<"" | "true" | "false">("");
  const search = useDebouncedValue(q.trim(), 250);
  const list = useWorkflows({ q: search || undefined, active: active || undefined });
  const recent = useExecutions({});
  const lastRun = useMemo(() => {
    const m = new Map<string, { at: string; status: string }>();
    for (const e of recent.data?.items ?? []) {
      const at = e.startedAt ?? e.createdAt;
      const cur = m.get(e.workflowId);
      if (!cur || at > cur.at) m.set(e.workflowId, { at, status: String(e.status) });
    }
    return m;
  }, [recent.data]);
  const canWrite = useCan("workflows:write");
  const items = list.data?.items ?? [];
  const filtered = search !== "" || active !== "";
  return (
    <>
      <PageHeader title="Workflows" description="Journeys that run for each contact, from a trigger through messages, waits and branches." actions={
          canWrite && (
            <div className="flex flex-wrap gap-2">
              <ImportWorkflowButton />
              <StarterGalleryButton />
              <DraftWithAIButton />
              <CreateWorkflowButton />
            </div>
          )
        }
      />
      <Card>
        <div className="flex items-center gap-2 border-b border-slate-200 p-3">
          <label className="relative w-72">
            <span className="sr-only">Search workflows</span>
            <Search className="pointer-events-none absolute top-2 left-2.5 size-4 text-slate-400" aria-hidden />
            <Input className="pl-8" placeholder="Search by name…" value={q} onChange={(e) => setQ(e.target.value)} data-testid="workflow-search" />
          </label>
          <label className="flex items-center gap-2 text-xs text-slate-500">
            Status
            <Select className="w-36" value={active} onChange={(e) => setActive(e.target.value as typeof active)} aria-label="Filter by status">
              <option value="">All</option>
              <option value="true">Active</option>
              <option value="false">Inactive</option>
            </Select>
          </label>
          <span className="ml-auto text-xs text-slate-400">{list.data ? `${items.length} workflow${items.length === 1 ? "" : "s"}` : ""}</span>
        </div>
        {list.isPending ? (
          <TableSkeleton cols={5} />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Search className="size-5" />} title="No workflow matches" description="Try another name or clear the status filter." />
          ) : (
            <EmptyState
              icon={<WorkflowIcon className="size-5" />}
              title="Build your first journey"
              description="Create a workflow, drag a trigger and a few steps onto the canvas, connect them, then publish and activate it. Each contact gets its own durable execution."
              action={
                canWrite ? (
                  <div className="flex flex-wrap justify-center gap-2">
                    <StarterGalleryButton variant="primary" />
                    <CreateWorkflowButton variant="secondary" />
                  </div>
                ) : undefined
              }
            />
          )
        ) : (
          <table className={table.root} data-testid="workflows-table">
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[32%]`}>Name</th>
                <th className={`${table.th} w-[15%]`}>Status</th>
                <th className={`${table.th} w-[21%]`}>Last run</th>
                <th className={`${table.th} w-[14%]`}>Updated</th>
                <th className={`${table.th} w-[8%]`}>Active</th>
                <th className={`${table.th} w-[10%]`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((wf) => {
                const lr = lastRun.get(wf.id);
                return (
                  <tr key={wf.id} className={table.row} data-testid={`workflow-row-${wf.id}`}>
                    <td className={table.td}>
                      <Link href={routes.workflow(wf.id)} className="block truncate font-medium text-slate-900 hover:text-brand-700">
                        {wf.name}
                      </Link>
                      {wf.description && <div className="truncate text-xs text-slate-500">{wf.description}</div>}
                    </td>
                    <td className={table.td}>
                      <WorkflowStatusBadge isActive={wf.isActive} currentVersion={wf.currentVersion} />
                    </td>
                    <td className={table.td}>
                      {lr ? (
                        <Link href={routes.executions({ workflowId: wf.id })} className="flex items-center gap-2 hover:underline">
                          <ExecutionStatusBadge status={lr.status} />
                          <span className="text-xs whitespace-nowrap text-slate-500">{formatRelative(lr.at)}</span>
                        </Link>
                      ) : (
                        <span className="text-xs text-slate-400">Never</span>
                      )}
                    </td>
                    <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(wf.updatedAt)}</td>
                    <td className={table.td}>
                      {canWrite ? <ActiveToggle workflow={wf} /> : <span className="text-xs text-slate-500">{wf.isActive ? "On" : "Off"}</span>}
                    </td>
                    <td className={table.td}>
                      <div className="flex justify-end">
                        <ExportWorkflowButton workflow={wf} />
                        {canWrite && <WorkflowRowActions workflow={wf} />}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
