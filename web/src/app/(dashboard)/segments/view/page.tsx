"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { ArrowLeft, Loader2, Pencil, UsersRound } from "lucide-react";
import { contactLabel } from "@/entities/contact";
import { describeSegment, useSegment, useSegmentMembers, type Segment } from "@/entities/segment";
import { useCan } from "@/entities/session";
import { CreateBroadcastButton } from "@/features/broadcast-create";
import { DeleteSegmentButton } from "@/features/segment-delete";
import { SegmentJourneyCard } from "@/features/segment-journey";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Button, Card, CardHeader, EmptyState, ErrorState, Skeleton } from "@/shared/ui";

function Stat({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="min-w-0 px-4 py-3" data-testid={testId}>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 truncate text-lg font-semibold text-slate-900 tabular-nums">{children}</dd>
    </div>
  );
}

function Members({ s }: { s: Segment }) {
  const members = useSegmentMembers(s.id, s.computedAt);
  const items = members.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  return (
    <Card data-testid="segment-members">
      <CardHeader
        title="Members"
        description={s.computedAt ? `As computed ${formatRelative(s.computedAt)}, newest contacts first.` : "The first computation is running."}
      />
      {!s.computedAt || members.isPending ? (
        <div className="space-y-2 p-4">
          <Skeleton className="h-5 w-full" />
          <Skeleton className="h-5 w-2/3" />
        </div>
      ) : members.isError ? (
        <ErrorState error={errorMessage(members.error)} onRetry={() => void members.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState icon={<UsersRound className="size-5" />} title="No members" description="No contact matches the conditions at the moment. Members join as events arrive." />
      ) : (
        <>
          <ul className="divide-y divide-slate-100" data-testid="segment-member-list">
            {items.map((c) => (
              <li key={c.id}>
                <Link
                  href={routes.contact(c.id)}
                  className="grid grid-cols-[minmax(0,1fr)_auto] items-baseline gap-x-3 px-4 py-2 text-sm hover:bg-slate-50 sm:grid-cols-[minmax(0,1fr)_minmax(0,auto)_7rem]"
                  data-testid="segment-member"
                  data-contact-id={c.id}
                >
                  <span className="truncate font-medium text-slate-900">{contactLabel(c)}</span>
                  <span className="order-last col-span-2 truncate text-xs text-slate-500 sm:order-none sm:col-span-1">
                    {[c.name ? c.email : null, c.externalId].filter(Boolean).join(" · ")}
                  </span>
                  <span className="text-right text-xs text-slate-400" title={c.lastSeenAt ? formatDateTime(c.lastSeenAt) : undefined}>
                    {c.lastSeenAt ? `seen ${formatRelative(c.lastSeenAt)}` : "not seen yet"}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
          <div className="flex items-center justify-between gap-2 border-t border-slate-200 px-4 py-2 text-xs text-slate-500">
            <span>
              {items.length.toLocaleString("en")} of {s.memberCount.toLocaleString("en")} shown
            </span>
            {members.hasNextPage && (
              <Button size="sm" loading={members.isFetchingNextPage} onClick={() => void members.fetchNextPage()} data-testid="segment-members-more">
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </Card>
  );
}

function SegmentView({ id }: { id: string }) {
  const seg = useSegment(id);
  const router = useRouter();
  const canWrite = useCan("contacts:write");
  if (seg.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-48 w-full" />
      </div>
    );
  if (seg.isError)
    return (
      <ErrorState
        error={isApiError(seg.error) && seg.error.status === 404 ? "This segment does not exist in this workspace (or it was deleted)." : errorMessage(seg.error)}
        onRetry={() => void seg.refetch()}
      />
    );
  const s = seg.data;
  return (
    <>
      <Link href={routes.segments} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Segments
      </Link>
      <div className="mb-5 flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h1 className="text-lg font-semibold break-words text-slate-900" data-testid="segment-title">
            {s.name}
          </h1>
          {s.description && <p className="mt-0.5 text-sm text-slate-500">{s.description}</p>}
        </div>
        <div className="flex shrink-0 items-center gap-2">
          <DeleteSegmentButton segment={s} onDeleted={() => router.replace(routes.segments)} />
          <Button variant="primary" icon={<Pencil className="size-4" />} disabled={!canWrite} onClick={() => router.push(routes.segmentEdit(s.id))} data-testid="segment-edit">
            Edit
          </Button>
        </div>
      </div>
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_360px]">
        <div className="min-w-0 space-y-5">
          <Card>
            <dl className="grid grid-cols-2 divide-x divide-slate-100">
              <Stat label="Members" testId="segment-members-count">
                {s.computedAt ? (
                  s.memberCount.toLocaleString("en")
                ) : (
                  <span className="inline-flex items-center gap-1.5 text-sm font-normal text-slate-500">
                    <Loader2 className="size-3.5 animate-spin" aria-hidden /> computing…
                  </span>
                )}
              </Stat>
              <Stat label="Last computed">
                <span className="text-sm font-medium" title={s.computedAt ? formatDateTime(s.computedAt) : undefined}>
                  {s.computedAt ? formatRelative(s.computedAt) : "not yet"}
                </span>
              </Stat>
            </dl>
            <p className="border-t border-slate-100 px-4 py-3 text-sm text-slate-700" data-testid="segment-definition">
              <span className="block text-xs font-medium text-slate-500">Contacts who match</span>
              {describeSegment(s.definition)}
            </p>
          </Card>
          <Members s={s} />
        </div>
        <div className="min-w-0 space-y-5">
          <SegmentJourneyCard segment={s} />
          <Card data-testid="segment-broadcast">
            <CardHeader title="Send a one-off campaign" />
            <div className="space-y-3 px-4 py-3 text-sm text-slate-600">
              <p>A broadcast runs a published workflow once for every member, now or at a scheduled time, at a send rate you choose.</p>
              <CreateBroadcastButton segmentId={s.id} variant="secondary" />
            </div>
          </Card>
        </div>
      </div>
    </>
  );
}

function View() {
  const id = useSearchParams().get("id");
  if (!id) return <EmptyState title="No segment selected" description="Open a segment from the list." />;
  return <SegmentView id={id} />;
}

/** A segment: its count, its definition in words, its members and how to start journeys from it. */
export default function SegmentPage() {
  return (
    <Suspense>
      <View />
    </Suspense>
  );
}
