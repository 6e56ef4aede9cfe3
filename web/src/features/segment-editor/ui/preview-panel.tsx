"use client";
import Link from "next/link";
import { Loader2, UsersRound } from "lucide-react";
import { contactLabel } from "@/entities/contact";
import type { SegmentPreview } from "@/entities/segment";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";
import { Card, CardHeader, Skeleton } from "@/shared/ui";

export type PreviewState = "empty" | "incomplete" | "loading" | "ready" | "invalid" | "error";

/**
 * The live count of the definition being edited and a sample of the
 * contacts it matches now, newest first. Nothing is stored: the count is
 * asked again a moment after each change.
 */
export function PreviewPanel({ state, data, stale, error }: { state: PreviewState; data?: SegmentPreview; stale: boolean; error?: string }) {
  const sample = data?.sample ?? [];
  return (
    <Card data-testid="segment-preview" data-state={state} aria-busy={stale || state === "loading"}>
      <CardHeader
        title="Matches now"
        description="Counted live while you edit; nothing is saved."
        actions={stale || state === "loading" ? <Loader2 className="size-4 animate-spin text-slate-400" aria-label="Updating" /> : null}
      />
      <div className="px-4 py-3">
        {state === "loading" && !data ? (
          <Skeleton className="h-9 w-24" />
        ) : data && (state === "ready" || stale) ? (
          <p className={cn("flex items-baseline gap-2 transition-opacity", stale && "opacity-60")}>
            <span className="text-3xl font-semibold tracking-tight text-slate-900 tabular-nums" data-testid="segment-preview-count" data-count={stale ? undefined : data.count}>
              {data.count.toLocaleString("en")}
            </span>
            <span className="text-sm text-slate-500">contact{data.count === 1 ? "" : "s"}</span>
          </p>
        ) : (
          <p className="text-sm text-slate-500" data-testid="segment-preview-note">
            {state === "empty"
              ? "Add a condition to see how many contacts match."
              : state === "incomplete"
                ? "Fill in the conditions to see how many contacts match."
                : state === "invalid"
                  ? "Fix the condition marked in red to see the count."
                  : (error ?? "The count could not be loaded.")}
          </p>
        )}
      </div>
      {data && sample.length > 0 && (state === "ready" || stale) && (
        <div className="border-t border-slate-100">
          <p className="px-4 pt-2.5 pb-1 text-xs font-medium text-slate-500">
            {data.count > sample.length ? `The ${sample.length} newest of them` : data.count === 1 ? "It is" : "They are"}
          </p>
          <ul className={cn("pb-1.5", stale && "opacity-60")} data-testid="segment-preview-sample">
            {sample.map((c) => (
              <li key={c.id}>
                <Link
                  href={routes.contact(c.id)}
                  className="flex items-baseline justify-between gap-2 px-4 py-1.5 text-sm hover:bg-slate-50"
                  data-testid="segment-sample-item"
                  data-contact-id={c.id}
                >
                  <span className="min-w-0 truncate font-medium text-slate-800">{contactLabel(c)}</span>
                  <span className="min-w-0 shrink truncate text-xs text-slate-500">{c.name ? c.email || c.externalId : c.email ? c.externalId : ""}</span>
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
      {data && data.count === 0 && state === "ready" && (
        <div className="flex items-center gap-2 border-t border-slate-100 px-4 py-2.5 text-xs text-slate-500">
          <UsersRound className="size-3.5 shrink-0" aria-hidden /> No contact matches these conditions right now.
        </div>
      )}
    </Card>
  );
}
