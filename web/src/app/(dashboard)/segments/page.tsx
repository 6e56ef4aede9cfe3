"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Loader2, Plus, UsersRound } from "lucide-react";
import { describeSegment, useSegments, type Segment } from "@/entities/segment";
import { useCan } from "@/entities/session";
import { errorMessage } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

/** "3 minutes ago" ("computed 3 minutes ago" with words), or a spinner while the first computation runs. */
function Computed({ s, words }: { s: Segment; words?: boolean }) {
  if (!s.computedAt)
    return (
      <span className="inline-flex items-center gap-1 text-xs text-slate-500">
        <Loader2 className="size-3 animate-spin" aria-hidden /> computing…
      </span>
    );
  return (
    <span className="text-xs text-slate-500" title={formatDateTime(s.computedAt)}>
      {words ? "computed " : ""}
      {formatRelative(s.computedAt)}
    </span>
  );
}

function Members({ s }: { s: Segment }) {
  return (
    <span className="tabular-nums" data-testid="segment-member-count">
      {s.computedAt ? s.memberCount.toLocaleString("en") : "—"}
    </span>
  );
}

/** The workspace's segments: name, members after the last computation, when that was. */
export default function SegmentsPage() {
  const list = useSegments();
  const canWrite = useCan("contacts:write");
  const router = useRouter();
  const items = list.data ?? [];
  const newButton = (
    <Button variant="primary" icon={<Plus className="size-4" />} disabled={!canWrite} onClick={() => router.push(routes.segmentEdit())} data-testid="new-segment">
      New segment
    </Button>
  );
  return (
    <>
      <PageHeader
        title="Segments"
        description="Audiences defined by attributes, subscriptions and event history, kept up to date as events arrive and time passes."
        actions={items.length > 0 && newButton}
      />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={4} rows={4} />
        ) : list.isError ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<UsersRound className="size-5" />}
            title="No segments yet"
            description="A segment is a live audience: “on PRO and did order.completed at least twice in the last 30 days”. Journeys can start when a contact enters or leaves one."
            action={newButton}
          />
        ) : (
          <>
            <table className={`${table.root} hidden md:table`} data-testid="segments-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[52%]`}>Segment</th>
                  <th className={`${table.th} w-[14%] text-right`}>Members</th>
                  <th className={`${table.th} w-[17%]`}>Computed</th>
                  <th className={`${table.th} w-[17%]`}>Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.map((s) => (
                  <tr key={s.id} className={`${table.row} cursor-pointer`} onClick={() => router.push(routes.segment(s.id))} data-testid="segment-row" data-name={s.name}>
                    <td className={table.td}>
                      <Link href={routes.segment(s.id)} className="block truncate font-medium text-slate-900 hover:text-brand-700" onClick={(e) => e.stopPropagation()}>
                        {s.name}
                      </Link>
                      <span className="block truncate text-xs text-slate-500" title={describeSegment(s.definition)}>
                        {s.description || describeSegment(s.definition)}
                      </span>
                    </td>
                    <td className={`${table.td} text-right font-medium text-slate-900`}>
                      <Members s={s} />
                    </td>
                    <td className={table.td}>
                      <Computed s={s} />
                    </td>
                    <td className={table.td}>
                      <span className="text-xs text-slate-500" title={formatDateTime(s.updatedAt)}>
                        {formatRelative(s.updatedAt)}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="segments-cards">
              {items.map((s) => (
                <li key={s.id}>
                  <Link href={routes.segment(s.id)} className="block space-y-1 px-3 py-2.5 hover:bg-slate-50">
                    <span className="flex items-baseline justify-between gap-3">
                      <span className="min-w-0 truncate text-sm font-medium text-slate-900">{s.name}</span>
                      <span className="shrink-0 text-sm font-medium text-slate-900">
                        <Members s={s} /> <span className="text-xs font-normal text-slate-500">members</span>
                      </span>
                    </span>
                    <span className="line-clamp-2 text-xs text-slate-500">{s.description || describeSegment(s.definition)}</span>
                    <span className="block">
                      <Computed s={s} words />
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
    </>
  );
}
