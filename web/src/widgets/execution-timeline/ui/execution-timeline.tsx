"use client";
import { memo, useState, type ReactNode } from "react";
import { ChevronRight, RotateCw } from "lucide-react";
import type { ExecutionStep } from "@/shared/api";
import { ExecutionStatusBadge } from "@/entities/execution";
import { NodeIcon, nodeAccent } from "@/entities/workflow";
import { cn, formatDateTime, formatDuration, prettyJson } from "@/shared/lib";

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : formatDuration(new Date(0).toISOString(), new Date(ms).toISOString());
}

function JsonBlock({ label, value, tone = "plain" }: { label: string; value: unknown; tone?: "plain" | "error" }) {
  if (value === undefined || value === null || value === "") return null;
  return (
    <div>
      <div className="mb-1 text-[11px] font-medium tracking-wide text-slate-500 uppercase">{label}</div>
      <pre
        className={cn(
          "max-h-72 overflow-auto rounded-md border px-3 py-2 font-mono text-xs leading-5 whitespace-pre-wrap break-all",
          tone === "error" ? "border-red-200 bg-red-50 text-red-800" : "border-slate-200 bg-slate-50 text-slate-800",
        )}
      >
        {typeof value === "string" ? value : prettyJson(value)}
      </pre>
    </div>
  );
}

/** The outbox record of a side-effect step: how many times its call was attempted under its idempotency key. */
function EffectAttempts({ effect }: { effect: NonNullable<ExecutionStep["effect"]> }) {
  const repeated = effect.attempts > 1;
  return (
    <div
      data-testid="step-effect"
      data-attempts={effect.attempts}
      className={cn(
        "rounded-md border px-3 py-2 text-xs",
        repeated ? "border-amber-200 bg-amber-50 text-amber-900" : "border-slate-200 bg-slate-50 text-slate-600",
      )}
    >
      <div>
        Attempted {effect.attempts} {effect.attempts === 1 ? "time" : "times"} under key{" "}
        <code className="font-mono break-all">{effect.idempotencyKey}</code>
        {effect.lastAttemptAt && <span> · last {formatDateTime(effect.lastAttemptAt)}</span>}
      </div>
      {repeated && (
        <div className="mt-1">
          The call was repeated (after a crash or a lost result): the provider may have received it {effect.attempts} times, always with this
          Idempotency-Key.
        </div>
      )}
    </div>
  );
}

const Step = memo(function Step({ step, last, label, extra }: { step: ExecutionStep; last: boolean; label?: string; extra?: ReactNode }) {
  const failed = String(step.status).toUpperCase() === "FAILED";
  const [open, setOpen] = useState(failed);
  const accent = nodeAccent(step.nodeType);
  return (
    <li className="relative pl-10" data-testid={`step-${step.nodeId}`} data-status={String(step.status).toUpperCase()}>
      {!last && <span className="absolute top-8 bottom-0 left-[15px] w-px bg-slate-200" aria-hidden />}
      <span className={cn("absolute top-1.5 left-0 grid size-8 place-items-center rounded-full ring-4 ring-white", accent.icon)}>
        <NodeIcon type={step.nodeType} className="size-4" />
      </span>
      <div className={cn("mb-3 rounded-lg border bg-white", failed ? "border-red-200" : "border-slate-200")}>
        <button
          type="button"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          className="flex w-full items-center gap-2 px-3 py-2.5 text-left hover:bg-slate-50/70 sm:gap-3"
        >
          <ChevronRight className={cn("size-4 shrink-0 text-slate-400 transition-transform", open && "rotate-90")} aria-hidden />
          <span className="min-w-0 flex-1">
            <span className="block text-sm font-medium break-words text-slate-900 sm:truncate">{label || step.nodeId}</span>
            <span className="block truncate font-mono text-[11px] text-slate-500">
              {label ? `${step.nodeId} · ` : ""}
              {step.nodeType}
            </span>
          </span>
          {step.handle && step.handle !== "out" && (
            <span className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-[11px] text-slate-600" title="Output taken">
              → {step.handle}
            </span>
          )}
          {step.effect && step.effect.attempts > 1 && (
            <span className="rounded bg-amber-100 px-1.5 py-0.5 text-[11px] text-amber-800" title="Calls attempted under the same idempotency key">
              called ×{step.effect.attempts}
            </span>
          )}
          {step.attempt > 1 && (
            <span className="inline-flex items-center gap-1 text-xs text-amber-700" title="Attempt">
              <RotateCw className="size-3" aria-hidden /> attempt {step.attempt}
            </span>
          )}
          <span className="hidden w-20 text-right font-mono text-xs text-slate-500 sm:inline">
            {step.durationMs != null ? formatMs(step.durationMs) : formatDuration(step.startedAt, step.finishedAt)}
          </span>
          <ExecutionStatusBadge status={String(step.status)} />
        </button>
        {extra && <div className="border-t border-slate-100 px-3">{extra}</div>}
        {open && (
          <div className="space-y-3 border-t border-slate-100 px-3 py-3">
            <div className="flex gap-6 text-xs text-slate-500">
              <span>Started {formatDateTime(step.startedAt)}</span>
              <span>Finished {formatDateTime(step.finishedAt)}</span>
            </div>
            {step.effect && <EffectAttempts effect={step.effect} />}
            <JsonBlock label="Error" value={step.error} tone="error" />
            <JsonBlock label="Input" value={step.input} />
            <JsonBlock label="Output" value={step.output} />
            {step.input == null && step.output == null && !step.error && <p className="text-xs text-slate-400">This step recorded no input or output.</p>}
          </div>
        )}
      </div>
    </li>
  );
});

/**
 * The timeline of an execution's steps with their inputs, outputs, errors and timings;
 * stepExtra adds what a step produced elsewhere (the messages a send step sent), always shown under its header.
 */
export function ExecutionTimeline({
  steps: unordered,
  labels,
  stepExtra,
}: {
  steps: ExecutionStep[];
  labels?: Record<string, string>;
  stepExtra?: (step: ExecutionStep) => ReactNode;
}) {
  const steps = [...unordered].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  if (steps.length === 0) {
    return <p className="px-1 py-6 text-center text-sm text-slate-500">No step has run yet. Steps appear here live as the execution advances.</p>;
  }
  return (
    <ol data-testid="execution-timeline">
      {steps.map((s, i) => (
        <Step key={s.id ?? `${s.nodeId}-${i}`} step={s} last={i === steps.length - 1} label={labels?.[s.nodeId]} extra={stepExtra?.(s)} />
      ))}
    </ol>
  );
}

export { JsonBlock };
