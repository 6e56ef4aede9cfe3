"use client";
import { useMemo, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Search, UsersRound } from "lucide-react";
import { CHANNELS, SubscriptionBadge, contactLabel, useContacts, type Contact } from "@/entities/contact";
import { SendFirstEvent } from "@/entities/event";
import { useCan } from "@/entities/session";
import { ContactFilterBar, activeFilterCount, emptyContactFilter, toContactQuery, type ContactFilter } from "@/features/contact-filter";
import { ImportContactsButton } from "@/features/contact-import";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative, useDebouncedValue } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

function Subscriptions({ c, quiet }: { c: Contact; quiet?: boolean }) {
  const subs = c.subscriptions ?? {};
  const shown = CHANNELS.filter((ch) => subs[ch]);
  if (shown.length === 0) return quiet ? null : <span className="text-xs text-slate-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {shown.map((ch) => (
        <span key={ch} className="inline-flex items-center gap-1 text-xs text-slate-500" title={`${ch}: ${subs[ch]!.state}`}>
          {ch}
          <SubscriptionBadge state={subs[ch]!.state} />
        </span>
      ))}
    </span>
  );
}

function attributesPreview(c: Contact): string {
  const entries = Object.entries(c.attributes ?? {});
  return entries
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ")
    .concat(entries.length > 3 ? ` · +${entries.length - 3}` : "");
}

export default function ContactsPage() {
  const [filter, setFilter] = useState<ContactFilter>(emptyContactFilter);
  const q = useDebouncedValue(filter.q, 250);
  const query = useMemo(() => toContactQuery({ ...filter, q }), [filter, q]);
  const list = useContacts(query);
  const canWrite = useCan("contacts:write");
  const router = useRouter();
  const items = list.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const filtered = !!query.q || activeFilterCount(filter) > 0;
  return (
    <>
      <PageHeader
        title="Contacts"
        description="The people your journeys run for, created by events, identify calls, CSV imports and the API."
        actions={<ImportContactsButton disabled={!canWrite} />}
      />
      <Card>
        <ContactFilterBar value={filter} onChange={setFilter} />
        {list.isPending ? (
          <TableSkeleton cols={5} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState
            icon={<UsersRound className="size-5" />}
            title="Contacts are not available on this server yet"
            description="This NextFlow version does not serve the contacts API. Executions still run with the contact you pass when starting them."
          />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Search className="size-5" />} title="No contact matches" description="Search looks at name, email and external ID; every filter must match." />
          ) : (
            <EmptyState
              icon={<UsersRound className="size-5" />}
              title="No contacts yet"
              description={
                <>
                  Contacts appear when your app sends its first event. Create an API key, then send an event from your server; the contact is created from its{" "}
                  <code className="rounded bg-slate-100 px-1 font-mono text-xs">contact</code> fields. You can also import a CSV file.
                </>
              }
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
            <table className={`${table.root} hidden md:table`} data-testid="contacts-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[28%]`}>Contact</th>
                  <th className={`${table.th} w-[18%]`}>External ID</th>
                  <th className={`${table.th} w-[22%]`}>Subscriptions</th>
                  <th className={`${table.th} w-[16%]`}>Attributes</th>
                  <th className={`${table.th} w-[16%]`}>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id} className={`${table.row} cursor-pointer`} onClick={() => router.push(routes.contact(c.id))} data-testid="contact-row">
                    <td className={table.td}>
                      <Link href={routes.contact(c.id)} className="block truncate font-medium text-slate-900 hover:text-brand-700" onClick={(e) => e.stopPropagation()}>
                        {contactLabel(c)}
                      </Link>
                      {c.name && c.email && <span className="block truncate text-xs text-slate-500">{c.email}</span>}
                    </td>
                    <td className={`${table.td} truncate font-mono text-xs`}>{c.externalId || "—"}</td>
                    <td className={table.td}>
                      <Subscriptions c={c} />
                    </td>
                    <td className={`${table.td} truncate font-mono text-[11px] text-slate-500`}>{attributesPreview(c) || "—"}</td>
                    <td className={`${table.td} text-xs text-slate-500`} title={c.lastSeenAt ? formatDateTime(c.lastSeenAt) : undefined}>
                      {c.lastSeenAt ? formatRelative(c.lastSeenAt) : `created ${formatRelative(c.createdAt)}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <ul className="divide-y divide-slate-100 md:hidden" data-testid="contacts-cards">
              {items.map((c) => (
                <li key={c.id}>
                  <Link href={routes.contact(c.id)} className="block space-y-1 px-3 py-2.5 hover:bg-slate-50">
                    <span className="flex items-baseline justify-between gap-2">
                      <span className="min-w-0 truncate text-sm font-medium text-slate-900">{contactLabel(c)}</span>
                      <span className="shrink-0 text-xs text-slate-400">{formatRelative(c.lastSeenAt ?? c.createdAt)}</span>
                    </span>
                    {(c.email || c.externalId) && (
                      <span className="block truncate text-xs text-slate-500">{[c.name ? c.email : null, c.externalId].filter(Boolean).join(" · ")}</span>
                    )}
                    <Subscriptions c={c} quiet />
                  </Link>
                </li>
              ))}
            </ul>
            <div className="flex items-center justify-between gap-2 border-t border-slate-200 px-3 py-2 text-xs text-slate-500">
              <span>
                {items.length} contact{items.length === 1 ? "" : "s"} shown
              </span>
              {list.hasNextPage && (
                <Button size="sm" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()} data-testid="contacts-more">
                  Load more
                </Button>
              )}
            </div>
          </>
        )}
      </Card>
    </>
  );
}
