"use client";
import { useState } from "react";
import Link from "next/link";
import { FileText, Plus } from "lucide-react";
import { TEMPLATE_CHANNELS, useTemplates, type TemplateChannel } from "@/entities/message-template";
import { RemoveTemplateButton } from "@/features/template-remove";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { cn, formatRelative } from "@/shared/lib";
import { Badge, Card, EmptyState, ErrorState, PageHeader, TableSkeleton } from "@/shared/ui";

const newLink = (channel?: string) => `/templates/edit${channel ? `?channel=${channel}` : ""}`;
const primary = "inline-flex h-8 items-center gap-2 rounded-md bg-slate-900 px-3 text-sm font-medium text-white hover:bg-slate-800";

export default function TemplatesPage() {
  const [channel, setChannel] = useState<TemplateChannel | "">("");
  const list = useTemplates(channel || undefined);
  const items = list.data ?? [];
  const label = (c: string) => TEMPLATE_CHANNELS.find((x) => x.value === c)?.label ?? c;
  return (
    <>
      <PageHeader
        title="Templates"
        description="Messages your journeys send, written once in Liquid and personalised per contact."
        actions={
          <Link href={newLink(channel)} className={primary}>
            <Plus className="size-4" /> New template
          </Link>
        }
      />
      <div className="mb-3 flex flex-wrap gap-1" role="tablist" aria-label="Channel">
        {[{ value: "" as const, label: "All" }, ...TEMPLATE_CHANNELS].map((c) => (
          <button
            key={c.value}
            role="tab"
            aria-selected={channel === c.value}
            onClick={() => setChannel(c.value)}
            className={cn("rounded-md px-3 py-1 text-sm", channel === c.value ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100")}
          >
            {c.label}
          </button>
        ))}
      </div>
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={3} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState icon={<FileText className="size-5" />} title="Templates are not available on this server yet" description="This NextFlow version does not serve the templates API." />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<FileText className="size-5" />}
            title={channel ? `No ${label(channel)} templates yet` : "No templates yet"}
            description="Write the subject and body once; Liquid fills in each contact's name, attributes and the event that started the journey."
            action={
              <Link href={newLink(channel)} className={primary}>
                <Plus className="size-4" /> New template
              </Link>
            }
          />
        ) : (
          <ul className="divide-y divide-slate-100">
            {items.map((t) => (
              <li key={t.id} className="flex items-center justify-between gap-3 px-4 py-3" data-testid="template-row">
                <Link href={`/templates/edit?id=${encodeURIComponent(t.id)}`} className="min-w-0 flex-1">
                  <p className="truncate font-medium text-slate-900 hover:underline">{t.name}</p>
                  <p className="truncate text-xs text-slate-500">
                    {t.channel === "email" ? t.content.subject : t.content.templateName ? `Approved template ${t.content.templateName} (${t.content.language ?? ""})` : t.content.text}
                  </p>
                </Link>
                <Badge tone="blue">{label(t.channel)}</Badge>
                <span className="hidden w-28 text-right text-xs text-slate-500 sm:inline">{formatRelative(t.updatedAt)}</span>
                <RemoveTemplateButton template={t} />
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
