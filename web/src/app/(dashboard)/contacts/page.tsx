"use client";
import { useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Search, UsersRound } from "lucide-react";
import { useContacts } from "@/entities/contact";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatRelative, shortId, useDebouncedValue } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, Input, PageHeader, TableSkeleton, table } from "@/shared/ui";

export default function ContactsPage() {
  const [q, setQ] = useState("");
  const search = useDebouncedValue(q.trim(), 250);
  const [cursors, setCursors] = useState<string[]>([""]);
  const cursor = cursors[cursors.length - 1] || undefined;
  const list = useContacts({ q: search || undefined, cursor });
  const router = useRouter();
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader title="Contacts" description="The people your journeys run for. Contacts are created by events, identify calls and the API." />
      <Card>
        <div className="flex items-center gap-2 border-b border-slate-200 p-3">
          <label className="relative w-80">
            <span className="sr-only">Search contacts</span>
            <Search className="pointer-events-none absolute top-2 left-2.5 size-4 text-slate-400" aria-hidden />
            <Input className="pl-8" placeholder="Search email, phone or external ID…" value={q} onChange={(e) => (setQ(e.target.value), setCursors([""]))} />
          </label>
        </div>
        {list.isPending ? (
          <TableSkeleton cols={5} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState
            icon={<UsersRound className="size-5" />}
            title="Contacts are not available on this server yet"
            description="This NextFlow version does not serve the contacts API. Executions still run with the contact you pass when starting them."
          />
        ) : list.isError ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          search ? (
            <EmptyState icon={<Search className="size-5" />} title="No contact matches" description="Search looks at email, phone and external ID." />
          ) : (
            <EmptyState
              icon={<UsersRound className="size-5" />}
              title="No contacts yet"
              description={
                <>
                  Send an <code className="rounded bg-slate-100 px-1 font-mono text-xs">identify</code> or{" "}
                  <code className="rounded bg-slate-100 px-1 font-mono text-xs">track</code> call to <code className="rounded bg-slate-100 px-1 font-mono text-xs">/api/v1/events</code> with an API key, or start an execution with a contact.
                </>
              }
              action={
                <Link href={routes.apiKeys} className="text-sm font-medium text-brand-600 hover:underline">
                  Create an API key
                </Link>
              }
            />
          )
        ) : (
          <>
            <table className={table.root}>
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[30%]`}>Email</th>
                  <th className={`${table.th} w-[20%]`}>External ID</th>
                  <th className={`${table.th} w-[18%]`}>Phone</th>
                  <th className={`${table.th} w-[16%]`}>Time zone</th>
                  <th className={`${table.th} w-[16%]`}>Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id} className={`${table.row} cursor-pointer`} onClick={() => router.push(routes.contact(c.id))}>
                    <td className={`${table.td} truncate`}>
                      <Link href={routes.contact(c.id)} className="font-medium text-slate-900 hover:text-brand-700" onClick={(e) => e.stopPropagation()}>
                        {c.email || <span className="font-mono text-xs text-slate-500">{shortId(c.id)}</span>}
                      </Link>
                    </td>
                    <td className={`${table.td} truncate font-mono text-xs`}>{c.externalId || "—"}</td>
                    <td className={`${table.td} truncate`}>{c.phone || "—"}</td>
                    <td className={`${table.td} truncate text-xs`}>{c.timezone || "—"}</td>
                    <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(c.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="flex justify-end gap-2 border-t border-slate-200 px-3 py-2">
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
