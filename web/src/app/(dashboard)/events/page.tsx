"use client";
import { Suspense, useState } from "react";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Zap } from "lucide-react";
import { useContactLabels } from "@/entities/contact";
import { SendFirstEvent, propertiesPreview, useEventNames, useEvents } from "@/entities/event";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { cn, formatDateTime, formatRelative, prettyJson, shortId } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, PageHeader, Select, Switch, TableSkeleton, table } from "@/shared/ui";

function LiveDot({ on }: { on: boolean }) {
  return (
    <span className="relative flex size-2" aria-hidden>
      {on && <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-75" />}
      <span className={cn("relative inline-flex size-2 rounded-full", on ? "bg-emerald-500" : "bg-slate-300")} />
    </span>
  );
}

function Events() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const name = params.get("name") ?? "";
  const [live, setLive] = useState(true);
  const [open, setOpen] = useState<string | null>(null);
  const names = useEventNames();
  const list = useEvents({ name: name || undefined }, { live });
  const items = list.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const labels = useContactLabels(items.map((e) => e.contactId));
  const polling = live && (list.data?.pages.length ?? 1) <= 1;
  const setName = (n: string) => router.replace(n ? `${pathname}?name=${encodeURIComponent(n)}` : pathname);
  const contact = (id: string) => (
    <Link href={routes.contact(id)} className="truncate text-slate-800 hover:text-brand-700" onClick={(e) => e.stopPropagation()}>
      {labels.get(id) ?? <span className="font-mono text-xs text-slate-500">{shortId(id)}</span>}
    </Link>
  );
  return (
    <>
      <PageHeader title="Events" description="What your contacts did, as your app reported it: the newest first." />
      <Card>
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-200 p-3">
          <label className="flex min-w-0 flex-1 items-center gap-2 sm:max-w-80">
            <span className="shrink-0 text-xs font-medium text-slate-600">Event</span>
            <Select value={name} onChange={(e) => setName(e.target.value)} data-testid="event-name-filter">
              <option value="">All events</option>
              {name && !(names.data ?? []).includes(name) && <option value={name}>{name}</option>}
              {(names.data ?? []).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </Select>
          </label>
          <div className="ml-auto flex items-center gap-2 text-xs text-slate-600" data-testid="events-live" data-live={polling}>
            <LiveDot on={polling} />
            <span title="The list polls the server every 3 seconds while it shows its first page.">{polling ? "Live" : live ? "Paused while older pages show" : "Paused"}</span>
            <Switch checked={live} onChange={setLive} label="Live updates" />
          </div>
        </div>
        {list.isPending ? (
          <TableSkeleton cols={4} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState icon={<Zap className="size-5" />} title="Events are not available on this server yet" />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          name ? (
            <EmptyState icon={<Zap className="size-5" />} title={`No “${name}” events yet`} description="They show here within seconds of arriving." />
          ) : (
            <EmptyState
              icon={<Zap className="size-5" />}
              title="No events yet"
              description="Send your first event with an API key. It creates or updates the contact and starts the journeys whose event trigger matches."
              action={
                <div className="flex flex-col items-center gap-3">
                  <SendFirstEvent />
                  <Link href={routes.apiKeys} className="text-sm font-medium text-brand-600 hover:underline">
                    Create an API key
                  </Link>
                </div>
              }
            />
          )
        ) : (
          <>
            <table className={`${table.root} hidden md:table`} data-testid="events-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[22%]`}>Event</th>
                  <th className={`${table.th} w-[22%]`}>Contact</th>
                  <th className={table.th}>Properties</th>
                  <th className={`${table.th} w-[13%]`}>When</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id} className={`${table.row} cursor-pointer align-top`} onClick={() => setOpen((o) => (o === e.id ? null : e.id))} data-testid="event-row">
                    <td className={`${table.td} truncate font-mono text-[13px] font-medium text-slate-900`}>{e.name}</td>
                    <td className={`${table.td} truncate`}>{contact(e.contactId)}</td>
                    <td className={`${table.td} min-w-0`}>
                      {open === e.id ? (
                        <pre className="max-h-64 overflow-auto rounded bg-slate-50 px-2 py-1 font-mono text-[11px] text-slate-700">{prettyJson(e.properties)}</pre>
                      ) : (
                        <span className="block truncate font-mono text-[11px] text-slate-500">{propertiesPreview(e.properties) || "—"}</span>
                      )}
                    </td>
                    <td className={`${table.td} text-xs text-slate-500`} title={`Happened ${formatDateTime(e.timestamp)}, received ${formatDateTime(e.receivedAt)}`}>
                      {formatRelative(e.timestamp)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="events-cards">
              {items.map((e) => (
                <li key={e.id} className="space-y-0.5 px-3 py-2.5">
                  <div className="flex items-baseline justify-between gap-2">
                    <span className="min-w-0 truncate font-mono text-[13px] font-medium text-slate-900">{e.name}</span>
                    <span className="shrink-0 text-xs text-slate-400" title={formatDateTime(e.timestamp)}>
                      {formatRelative(e.timestamp)}
                    </span>
                  </div>
                  <div className="flex min-w-0 text-sm">{contact(e.contactId)}</div>
                  {propertiesPreview(e.properties) && <p className="truncate font-mono text-[11px] text-slate-500">{propertiesPreview(e.properties, 80)}</p>}
                </li>
              ))}
            </ul>
            <div className="flex items-center justify-between gap-2 border-t border-slate-200 px-3 py-2 text-xs text-slate-500">
              <span>
                {items.length} event{items.length === 1 ? "" : "s"} shown
              </span>
              {list.hasNextPage && (
                <Button size="sm" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()} data-testid="events-more">
                  Load older
                </Button>
              )}
            </div>
          </>
        )}
      </Card>
    </>
  );
}

export default function EventsPage() {
  return (
    <Suspense>
      <Events />
    </Suspense>
  );
}
