"use client";
import { useState } from "react";
import { ScrollText } from "lucide-react";
import { useAuditLog } from "@/entities/workspace";
import { useMembers } from "@/entities/member";
import { useMe } from "@/entities/session";
import { errorMessage } from "@/shared/api";
import { formatDateTime, formatRelative, shortId } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

export default function AuditLogPage() {
  const [cursors, setCursors] = useState<string[]>([""]);
  const log = useAuditLog({ cursor: cursors[cursors.length - 1] || undefined });
  const items = log.data?.items ?? [];
  const { data: me } = useMe();
  const members = useMembers();
  const people = new Map((members.data ?? []).map((m) => [m.user.id, m.user.name || m.user.email]));
  const actor = (type: string, id?: string, name?: string) => {
    if (type === "system") return "System";
    if (id && id === me?.user.id) return "You";
    if (name) return name;
    if (type === "api_key") return `API key ${shortId(id)}`;
    return (id && people.get(id)) || `Former member ${shortId(id)}`;
  };
  return (
    <>
      <PageHeader title="Audit log" description="Who changed what in this workspace: sign-ins, members, keys, workflows." />
      <Card>
        {log.isPending ? (
          <TableSkeleton cols={4} />
        ) : log.isError && !log.data ? (
          <ErrorState error={errorMessage(log.error)} onRetry={() => void log.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState icon={<ScrollText className="size-5" />} title="Nothing recorded yet" description="Changes to workflows, members, API keys and channels are recorded here." />
        ) : (
          <>
            <div className="hidden overflow-x-auto md:block">
            <table className={`${table.root} min-w-[640px]`}>
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[20%]`}>When</th>
                  <th className={`${table.th} w-[26%]`}>Actor</th>
                  <th className={`${table.th} w-[26%]`}>Action</th>
                  <th className={`${table.th} w-[28%]`}>Target</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id} className={table.row}>
                    <td className={`${table.td} text-xs text-slate-500`} title={formatDateTime(a.createdAt)}>
                      {formatRelative(a.createdAt)}
                    </td>
                    <td className={`${table.td} truncate`}>{actor(a.actorType, a.actorId, a.actorName)}</td>
                    <td className={`${table.td} font-mono text-xs`}>{a.action}</td>
                    <td className={`${table.td} truncate text-xs text-slate-500`}>
                      {a.targetType ?? "—"} {a.targetId ? (a.targetId === me?.user.id ? "(you)" : shortId(a.targetId)) : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
            {/* Phones: one entry per line, the action first. */}
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="audit-cards">
              {items.map((a) => (
                <li key={a.id} className="space-y-0.5 px-3 py-2.5">
                  <span className="flex items-baseline justify-between gap-2">
                    <span className="min-w-0 font-mono text-xs break-all text-slate-900">{a.action}</span>
                    <span className="shrink-0 text-xs text-slate-400" title={formatDateTime(a.createdAt)}>
                      {formatRelative(a.createdAt)}
                    </span>
                  </span>
                  <span className="block truncate text-xs text-slate-500">
                    {actor(a.actorType, a.actorId, a.actorName)}
                    {a.targetType ? ` · ${a.targetType}` : ""} {a.targetId ? (a.targetId === me?.user.id ? "(you)" : shortId(a.targetId)) : ""}
                  </span>
                </li>
              ))}
            </ul>
            <div className="flex justify-end gap-2 border-t border-slate-200 px-3 py-2">
              <Button size="sm" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous
              </Button>
              <Button size="sm" disabled={!log.data?.nextCursor} onClick={() => log.data?.nextCursor && setCursors((c) => [...c, log.data!.nextCursor!])}>
                Next
              </Button>
            </div>
          </>
        )}
      </Card>
    </>
  );
}
