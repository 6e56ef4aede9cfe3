import { Badge } from "@/shared/ui";

const tone = { scheduled: "blue", running: "violet", paused: "amber", completed: "green", cancelled: "gray" } as const;

/** A broadcast's status as a colored badge. */
export function BroadcastStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={tone[status as keyof typeof tone] ?? "gray"} data-testid="broadcast-status" data-status={status}>
      {status}
    </Badge>
  );
}

/** A progress bar of done out of total. */
export function BroadcastProgressBar({ done, total }: { done: number; total: number }) {
  const pct = total > 0 ? Math.min(100, (done / total) * 100) : 0;
  return (
    <div className="h-2 w-full overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-label="Progress">
      <div className="h-full rounded-full bg-brand-600 transition-[width] duration-500" style={{ width: `${pct}%` }} />
    </div>
  );
}
