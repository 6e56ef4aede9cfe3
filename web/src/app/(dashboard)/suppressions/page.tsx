"use client";
import { useState } from "react";
import { Search, ShieldOff } from "lucide-react";
import { SUPPRESSION_CHANNELS, SuppressionReasonBadge, displayAddress, suppressionChannelLabel, useSuppressions, type Suppression } from "@/entities/suppression";
import { AddSuppressionButton } from "@/features/suppression-add";
import { RemoveSuppressionButton } from "@/features/suppression-remove";
import { errorMessage } from "@/shared/api";
import { formatDateTime, formatRelative, useDebouncedValue } from "@/shared/lib";
import { Button, Card, EmptyState, ErrorState, Input, PageHeader, Select, TableSkeleton } from "@/shared/ui";

function SuppressionRow({ s }: { s: Suppression }) {
  return (
    <li className="flex items-center gap-3 px-4 py-3" data-testid="suppression-row" data-channel={s.channel}>
      <div className="min-w-0 flex-1 space-y-1">
        <p className="truncate text-sm font-medium text-slate-900">{displayAddress(s)}</p>
        <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-500">
          <span className="font-medium text-slate-700">{suppressionChannelLabel(s.channel)}</span>
          <SuppressionReasonBadge reason={s.reason} />
          <span title={formatDateTime(s.updatedAt)}>since {formatRelative(s.updatedAt)}</span>
        </div>
      </div>
      <RemoveSuppressionButton suppression={s} />
    </li>
  );
}

/** The workspace's suppression list: search, filter by channel, add, remove. */
export default function SuppressionsPage() {
  const [channel, setChannel] = useState("");
  const [search, setSearch] = useState("");
  const q = useSuppressions({ channel, search: useDebouncedValue(search.trim(), 250) });
  const items = q.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const filtered = Boolean(channel || search.trim());
  return (
    <>
      <PageHeader
        title="Suppressions"
        description="Addresses no message is sent to: hard bounces, spam complaints, unsubscribes and addresses added by hand. Sends to them are skipped."
        actions={<AddSuppressionButton />}
      />
      <Card>
        <div className="flex flex-wrap items-center gap-2 border-b border-slate-200 px-4 py-2.5">
          <div className="relative min-w-0 flex-1 basis-56">
            <Search className="pointer-events-none absolute top-1/2 left-2.5 size-3.5 -translate-y-1/2 text-slate-400" aria-hidden />
            <Input
              aria-label="Search addresses"
              data-testid="suppression-search"
              placeholder="Search by address"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              className="w-full pl-8"
            />
          </div>
          <Select aria-label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)} className="w-auto">
            <option value="">All channels</option>
            {SUPPRESSION_CHANNELS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </Select>
        </div>
        {q.isPending ? (
          <TableSkeleton rows={4} cols={3} />
        ) : q.isError && !q.data ? (
          <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
        ) : items.length === 0 ? (
          filtered ? (
            <EmptyState icon={<Search className="size-5" />} title="No suppressed address matches" description="Try part of the address, or another channel." />
          ) : (
            <EmptyState
              icon={<ShieldOff className="size-5" />}
              title="No suppressed addresses"
              description="Addresses land here when an email hard-bounces or a contact unsubscribes through a message's link; you can add one by hand too."
            />
          )
        ) : (
          <>
            <ul className="divide-y divide-slate-100" data-testid="suppression-list">
              {items.map((s) => (
                <SuppressionRow key={`${s.channel}:${s.address}`} s={s} />
              ))}
            </ul>
            {q.hasNextPage && (
              <div className="border-t border-slate-100 p-2 text-center">
                <Button size="sm" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                  Load more
                </Button>
              </div>
            )}
          </>
        )}
      </Card>
    </>
  );
}
