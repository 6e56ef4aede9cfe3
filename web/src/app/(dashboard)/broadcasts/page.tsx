"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Megaphone } from "lucide-react";
import { BroadcastProgressBar, BroadcastStatusBadge, useBroadcasts, type Broadcast } from "@/entities/broadcast";
import { useSegments } from "@/entities/segment";
import { CreateBroadcastButton } from "@/features/broadcast-create";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Card, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

function When({ b }: { b: Broadcast }) {
  const at = b.finishedAt ?? b.startedAt ?? b.startsAt;
  const word = b.finishedAt ? (b.status === "cancelled" || b.status === "failed" ? b.status : "finished") : b.startedAt ? "started" : "starts";
  return (
    <span className="text-xs text-slate-500" title={formatDateTime(at)}>
      {word} {formatRelative(at)}
    </span>
  );
}

/** Broadcasts, newest first, with their progress. */
export default function BroadcastsPage() {
  const list = useBroadcasts();
  const segments = useSegments();
  const router = useRouter();
  const names = new Map((segments.data ?? []).map((s) => [s.id, s.name]));
  const items = list.data ?? [];
  return (
    <>
      <PageHeader
        title="Broadcasts"
        description="A published workflow run once for every contact of a segment, now or at a scheduled time, at a send rate."
        actions={items.length > 0 && <CreateBroadcastButton />}
      />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState icon={<Megaphone className="size-5" />} title="Broadcasts are not available on this server yet" description="This NextFlow version does not serve the broadcasts API." />
        ) : list.isError ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<Megaphone className="size-5" />}
            title="No broadcasts yet"
            description="Send a one-off campaign: pick a segment and a published workflow, and every member gets one execution."
            action={<CreateBroadcastButton />}
          />
        ) : (
          <>
            <table className={`${table.root} hidden md:table`} data-testid="broadcasts-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[34%]`}>Broadcast</th>
                  <th className={`${table.th} w-[14%]`}>Status</th>
                  <th className={`${table.th} w-[32%]`}>Progress</th>
                  <th className={`${table.th} w-[20%]`}>When</th>
                </tr>
              </thead>
              <tbody>
                {items.map((b) => (
                  <tr key={b.id} className={`${table.row} cursor-pointer`} onClick={() => router.push(routes.broadcast(b.id))} data-testid="broadcast-row">
                    <td className={table.td}>
                      <Link href={routes.broadcast(b.id)} className="block truncate font-medium text-slate-900 hover:text-brand-700" onClick={(e) => e.stopPropagation()}>
                        {b.name}
                      </Link>
                      <span className="block truncate text-xs text-slate-500">to {names.get(b.segmentId) ?? "a deleted segment"}</span>
                    </td>
                    <td className={table.td}>
                      <BroadcastStatusBadge status={b.status} />
                    </td>
                    <td className={table.td}>
                      <div className="flex items-center gap-2">
                        <BroadcastProgressBar done={b.done} total={b.total} />
                        <span className="shrink-0 text-xs text-slate-500 tabular-nums">
                          {b.done.toLocaleString("en")} / {b.total.toLocaleString("en")}
                        </span>
                      </div>
                    </td>
                    <td className={table.td}>
                      <When b={b} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="broadcasts-cards">
              {items.map((b) => (
                <li key={b.id}>
                  <Link href={routes.broadcast(b.id)} className="block space-y-1.5 px-3 py-2.5 hover:bg-slate-50">
                    <span className="flex items-center justify-between gap-2">
                      <span className="min-w-0 truncate text-sm font-medium text-slate-900">{b.name}</span>
                      <BroadcastStatusBadge status={b.status} />
                    </span>
                    <BroadcastProgressBar done={b.done} total={b.total} />
                    <span className="flex justify-between gap-2 text-xs text-slate-500">
                      <span className="tabular-nums">
                        {b.done.toLocaleString("en")} / {b.total.toLocaleString("en")}
                      </span>
                      <When b={b} />
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
