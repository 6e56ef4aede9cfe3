import type { ReactNode } from "react";
import { cn } from "@/shared/lib";

/** One headline figure of an analytics view. */
export function StatTile({ label, value, hint, tone, testId }: { label: string; value: ReactNode; hint?: ReactNode; tone?: "green" | "red" | "amber" | "sky"; testId?: string }) {
  const tones = { green: "text-emerald-700", red: "text-red-700", amber: "text-amber-700", sky: "text-sky-700" };
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2.5 shadow-xs" data-testid={testId}>
      <div className="text-[11px] font-medium tracking-wide text-slate-500 uppercase">{label}</div>
      <div className={cn("mt-0.5 text-xl font-semibold text-slate-900 tabular-nums", tone && tones[tone])} data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </div>
      {hint && <div className="text-xs text-slate-500">{hint}</div>}
    </div>
  );
}
