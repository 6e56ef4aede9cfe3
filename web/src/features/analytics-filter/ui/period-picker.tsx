"use client";
import { PERIODS, type PeriodKind } from "@/entities/analytics";
import { cn } from "@/shared/lib";

export interface PeriodPickerProps {
  kind: PeriodKind;
  customFrom: string;
  customTo: string;
  error?: string | null;
  onChange: (patch: { kind?: PeriodKind; customFrom?: string; customTo?: string }) => void;
}

/** The period of an analytics view: 7, 30 or 90 days up to today, or two UTC days. */
export function PeriodPicker({ kind, customFrom, customTo, error, onChange }: PeriodPickerProps) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <div role="radiogroup" aria-label="Period" className="inline-flex rounded-md border border-slate-200 bg-white p-0.5">
        {PERIODS.map((p) => (
          <button
            key={p.id}
            type="button"
            role="radio"
            aria-checked={kind === p.id}
            onClick={() => onChange({ kind: p.id })}
            data-testid={`period-${p.id}`}
            className={cn(
              "rounded px-2.5 py-1 text-xs font-medium whitespace-nowrap",
              kind === p.id ? "bg-brand-600 text-white" : "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
            )}
          >
            {p.label}
          </button>
        ))}
      </div>
      {kind === "custom" && (
        <div className="flex items-center gap-1.5 text-xs text-slate-600">
          <label className="sr-only" htmlFor="period-from">
            First day (UTC)
          </label>
          <input
            id="period-from"
            type="date"
            value={customFrom}
            max={customTo || undefined}
            onChange={(e) => onChange({ customFrom: e.target.value })}
            className="h-7 rounded-md border border-slate-300 bg-white px-1.5 text-xs text-slate-900"
            data-testid="period-from"
          />
          <span aria-hidden>–</span>
          <label className="sr-only" htmlFor="period-to">
            Last day (UTC)
          </label>
          <input
            id="period-to"
            type="date"
            value={customTo}
            min={customFrom || undefined}
            onChange={(e) => onChange({ customTo: e.target.value })}
            className="h-7 rounded-md border border-slate-300 bg-white px-1.5 text-xs text-slate-900"
            data-testid="period-to"
          />
        </div>
      )}
      {error && (
        <span role="alert" className="text-xs text-red-600" data-testid="period-error">
          {error}
        </span>
      )}
    </div>
  );
}
