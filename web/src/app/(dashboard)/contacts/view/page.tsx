"use client";
import { Suspense, useMemo } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Activity, ArrowLeft, Zap } from "lucide-react";
import { useContact, useContactEvents } from "@/entities/contact";
import { ExecutionStatusBadge, useExecutions } from "@/entities/execution";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative, prettyJson, shortId } from "@/shared/lib";
import { Card, CardHeader, EmptyState, ErrorState, Skeleton } from "@/shared/ui";

type Item = { at: string; kind: "event" | "execution"; title: string; detail?: string; href?: string; status?: string };

function ContactView({ id }: { id: string }) {
  const contact = useContact(id);
  const events = useContactEvents(id);
  const executions = useExecutions({ contactId: id });
  const timeline = useMemo<Item[]>(() => {
    const out: Item[] = [];
    for (const e of events.data?.items ?? []) {
      out.push({ at: e.occurredAt ?? e.createdAt, kind: "event", title: e.name, detail: e.properties ? prettyJson(e.properties) : undefined });
    }
    for (const x of executions.data?.items ?? []) {
      out.push({ at: x.startedAt ?? x.createdAt, kind: "execution", title: `Workflow ${shortId(x.workflowId)}`, href: routes.execution(x.id), status: String(x.status) });
    }
    return out.sort((a, b) => b.at.localeCompare(a.at));
  }, [events.data, executions.data]);

  if (contact.isPending) return <Skeleton className="h-48 w-full" />;
  if (contact.isError)
    return <ErrorState error={isApiError(contact.error) && contact.error.status === 404 ? "This contact does not exist in this workspace." : errorMessage(contact.error)} onRetry={() => void contact.refetch()} />;
  const c = contact.data;
  const attrs = Object.entries(c.attributes ?? {});
  return (
    <>
      <Link href={routes.contacts} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Contacts
      </Link>
      <h1 className="mb-5 text-lg font-semibold text-slate-900">{c.email || c.externalId || shortId(c.id)}</h1>
      <div className="grid grid-cols-[320px_minmax(0,1fr)] gap-5">
        <Card className="self-start">
          <CardHeader title="Profile" />
          <dl className="divide-y divide-slate-100 text-sm">
            {[
              ["ID", c.id],
              ["External ID", c.externalId],
              ["Email", c.email],
              ["Phone", c.phone],
              ["Messenger PSID", c.messengerPsid],
              ["Time zone", c.timezone],
              ["Created", formatDateTime(c.createdAt)],
            ].map(([k, v]) => (
              <div key={k} className="flex gap-3 px-4 py-2">
                <dt className="w-28 shrink-0 text-xs text-slate-500">{k}</dt>
                <dd className="min-w-0 truncate text-slate-800">{v || "—"}</dd>
              </div>
            ))}
          </dl>
          <div className="border-t border-slate-200 px-4 py-3">
            <h3 className="mb-2 text-xs font-semibold text-slate-500 uppercase">Attributes</h3>
            {attrs.length === 0 ? (
              <p className="text-xs text-slate-400">No attributes yet. Set them with identify calls or a “Set attribute” step.</p>
            ) : (
              <dl className="space-y-1">
                {attrs.map(([k, v]) => (
                  <div key={k} className="flex gap-3 text-xs">
                    <dt className="w-28 shrink-0 truncate font-mono text-slate-500">{k}</dt>
                    <dd className="min-w-0 truncate text-slate-800">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
        </Card>
        <Card>
          <CardHeader title="Timeline" description="Events received and journeys run, newest first." />
          {events.isPending && executions.isPending ? (
            <div className="space-y-2 p-4">
              <Skeleton className="h-10 w-full" />
              <Skeleton className="h-10 w-full" />
            </div>
          ) : timeline.length === 0 ? (
            <EmptyState title="Nothing has happened yet" description="Events from your app and executions of your workflows for this contact will show here." />
          ) : (
            <ol className="divide-y divide-slate-100">
              {timeline.map((it, i) => (
                <li key={i} className="flex gap-3 px-4 py-3">
                  <span className={`mt-0.5 grid size-7 shrink-0 place-items-center rounded-full ${it.kind === "event" ? "bg-amber-50 text-amber-700" : "bg-brand-50 text-brand-700"}`}>
                    {it.kind === "event" ? <Zap className="size-3.5" aria-hidden /> : <Activity className="size-3.5" aria-hidden />}
                  </span>
                  <div className="min-w-0 flex-1">
                    <div className="flex items-center gap-2 text-sm">
                      {it.href ? (
                        <Link href={it.href} className="font-medium text-slate-900 hover:text-brand-700">
                          {it.title}
                        </Link>
                      ) : (
                        <span className="font-mono text-[13px] font-medium text-slate-900">{it.title}</span>
                      )}
                      {it.status && <ExecutionStatusBadge status={it.status} />}
                      <span className="ml-auto text-xs text-slate-400" title={formatDateTime(it.at)}>
                        {formatRelative(it.at)}
                      </span>
                    </div>
                    {it.detail && <pre className="mt-1 max-h-32 overflow-auto rounded bg-slate-50 px-2 py-1 font-mono text-[11px] text-slate-600">{it.detail}</pre>}
                  </div>
                </li>
              ))}
            </ol>
          )}
        </Card>
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
