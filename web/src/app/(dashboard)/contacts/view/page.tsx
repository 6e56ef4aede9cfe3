"use client";
import { Suspense, useMemo, type ReactNode } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { ArrowLeft, ArrowRight } from "lucide-react";
import { SubscriptionBadge, contactLabel, subscriptionChannels, useContact, type Contact } from "@/entities/contact";
import { ExecutionStatusBadge, useExecutions } from "@/entities/execution";
import { useWorkflows } from "@/entities/workflow";
import { EraseContactButton } from "@/features/contact-erase";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative, shortId } from "@/shared/lib";
import { Card, CardHeader, EmptyState, ErrorState, Skeleton } from "@/shared/ui";
import { ContactTimeline } from "@/widgets/contact-timeline";
import { MessageHistory } from "@/widgets/message-history";

/** Label/value rows; empty values are left out. */
function Rows({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="divide-y divide-slate-100 text-sm">
      {rows.filter(([, v]) => v).map(([k, v]) => (
        <div key={k} className="flex gap-3 px-4 py-2">
          <dt className="w-28 shrink-0 text-xs leading-5 text-slate-500">{k}</dt>
          <dd className="min-w-0 flex-1 break-words text-slate-800">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function value(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function Attributes({ c }: { c: Contact }) {
  const attrs = Object.entries(c.attributes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return (
    <Card data-testid="contact-attributes">
      <CardHeader title="Attributes" description={attrs.length ? `${attrs.length} set` : undefined} />
      {attrs.length === 0 ? (
        <p className="px-4 py-3 text-xs text-slate-500">No attributes yet. Identify calls, the contact fields of events, imports and “Set attribute” steps set them.</p>
      ) : (
        <table className="w-full table-fixed text-xs">
          <tbody>
            {attrs.map(([k, v]) => (
              <tr key={k} className="border-b border-slate-100 last:border-0 align-top">
                <th scope="row" className="w-2/5 px-4 py-1.5 text-left font-mono font-normal break-all text-slate-500">
                  {k}
                </th>
                <td className="px-4 py-1.5 font-mono break-all text-slate-800">{value(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Subscriptions({ c }: { c: Contact }) {
  const subs = c.subscriptions ?? {};
  return (
    <Card data-testid="contact-subscriptions">
      <CardHeader title="Subscriptions" />
      <ul className="divide-y divide-slate-100 text-sm">
        {subscriptionChannels(subs).map((ch) => {
          const s = subs[ch];
          return (
            <li key={ch} className="flex flex-wrap items-center gap-x-3 gap-y-0.5 px-4 py-2">
              <span className="w-20 shrink-0 text-slate-700 capitalize">{ch}</span>
              <SubscriptionBadge state={s?.state} />
              <span className="ml-auto text-xs text-slate-500" title={s?.at ? formatDateTime(s.at) : undefined}>
                {s ? `${s.source ? `via ${s.source}, ` : ""}${formatRelative(s.at)}` : "nothing recorded"}
              </span>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function Journeys({ contactId }: { contactId: string }) {
  const ex = useExecutions({ contactId });
  const wfs = useWorkflows();
  const names = useMemo(() => new Map((wfs.data?.items ?? []).map((w) => [w.id, w.name])), [wfs.data]);
  const items = ex.data?.items ?? [];
  return (
    <Card data-testid="contact-journeys">
      <CardHeader
        title="Journeys"
        description="Executions for this contact, newest first."
        actions={
          items.length > 0 && (
            <Link href={routes.executions({ contactId })} className="inline-flex shrink-0 items-center gap-1 text-xs font-medium text-brand-600 hover:underline">
              All <ArrowRight className="size-3" aria-hidden />
            </Link>
          )
        }
      />
      {ex.isPending ? (
        <div className="space-y-2 p-4">
          <Skeleton className="h-6 w-full" />
          <Skeleton className="h-6 w-2/3" />
        </div>
      ) : ex.isError ? (
        <ErrorState error={errorMessage(ex.error)} onRetry={() => void ex.refetch()} />
      ) : items.length === 0 ? (
        <p className="px-4 py-3 text-xs text-slate-500">Not in any journey yet. A journey starts for this contact when an event matches an active event trigger.</p>
      ) : (
        <ul className="divide-y divide-slate-100">
          {items.slice(0, 10).map((x) => (
            <li key={x.id}>
              <Link href={routes.execution(x.id)} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2 text-sm hover:bg-slate-50" data-testid="contact-journey">
                <span className="min-w-0 flex-1 truncate font-medium text-slate-900">{names.get(x.workflowId) ?? `Workflow ${shortId(x.workflowId)}`}</span>
                <ExecutionStatusBadge status={String(x.status)} />
                <span className="w-20 shrink-0 text-right text-xs text-slate-400" title={formatDateTime(x.startedAt ?? x.createdAt)}>
                  {formatRelative(x.startedAt ?? x.createdAt)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function ContactView({ id }: { id: string }) {
  const contact = useContact(id);
  const router = useRouter();
  if (contact.isPending) {
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-48 w-full" />
      </div>
    );
  }
  if (contact.isError)
    return (
      <ErrorState
        error={isApiError(contact.error) && contact.error.status === 404 ? "This contact does not exist in this workspace (or it was erased)." : errorMessage(contact.error)}
        onRetry={() => void contact.refetch()}
      />
    );
  const c = contact.data;
  return (
    <>
      <Link href={routes.contacts} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Contacts
      </Link>
      <div className="mb-5 flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="text-lg font-semibold break-words text-slate-900" data-testid="contact-title">
            {contactLabel(c)}
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {c.lastSeenAt ? `Last seen ${formatRelative(c.lastSeenAt)}` : "Not seen yet"} · created {formatRelative(c.createdAt)}
          </p>
        </div>
        <EraseContactButton contact={c} onErased={() => router.replace(routes.contacts)} />
      </div>
      <div className="grid gap-5 lg:grid-cols-[340px_minmax(0,1fr)]">
        <div className="min-w-0 space-y-5">
          <Card data-testid="contact-identity">
            <CardHeader title="Identity" />
            <Rows
              rows={[
                ["External ID", c.externalId && <span className="font-mono text-xs">{c.externalId}</span>],
                ["Email", c.email],
                ["Phone", c.phone],
                ["Name", c.name],
                ["Messenger PSID", c.messengerPsid && <span className="font-mono text-xs">{c.messengerPsid}</span>],
                ["Time zone", c.timezone],
                ["Locale", c.locale],
                ["ID", <span key="id" className="font-mono text-xs">{c.id}</span>],
                ["Created", formatDateTime(c.createdAt)],
                ["Updated", formatDateTime(c.updatedAt)],
                ["Last seen", c.lastSeenAt ? formatDateTime(c.lastSeenAt) : null],
              ]}
            />
          </Card>
          <Attributes c={c} />
          <Subscriptions c={c} />
        </div>
        <div className="min-w-0 space-y-5">
          <Journeys contactId={c.id} />
          <MessageHistory filter={{ contactId: c.id }} title="Message history" />
          <ContactTimeline contactId={c.id} />
        </div>
      </div>
    </>
  );
}

function View() {
  const id = useSearchParams().get("id");
  if (!id) return <EmptyState title="No contact selected" description="Open a contact from the list." />;
  return <ContactView id={id} />;
}

export default function ContactPage() {
  return (
    <Suspense>
      <View />
    </Suspense>
  );
}
