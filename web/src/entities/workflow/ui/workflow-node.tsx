"use client";
import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import { AlertCircle } from "lucide-react";
import type { Handle as HandleDef, NodeStats, ValidationProblem } from "@/shared/api";
import { cn } from "@/shared/lib";
import { NodeIcon, nodeAccent } from "./node-icon";

export interface WorkflowNodeViewProps {
  id: string;
  type: string;
  typeLabel: string;
  label?: string;
  summary?: string;
  handles: HandleDef[];
  hasInput: boolean;
  selected?: boolean;
  problems?: ValidationProblem[];
  stats?: NodeStats;
  unknownType?: boolean;
}

const statColor: Record<string, string> = {
  completed: "text-emerald-700",
  waiting: "text-amber-700",
  running: "text-sky-700",
  pending: "text-slate-600",
  failed: "text-red-700",
  cancelled: "text-slate-500",
};

/** Per-status counts of a node, known statuses first, whatever the server's casing. */
function statsLine(s: NodeStats): Array<[string, number, string]> {
  const merged = new Map<string, number>();
  for (const [k, n] of Object.entries(s)) merged.set(k.toLowerCase(), (merged.get(k.toLowerCase()) ?? 0) + (n ?? 0));
  const order = Object.keys(statColor);
  return [...merged.entries()]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([k, n]) => [k, n, statColor[k] ?? "text-slate-600"]);
}

/**
 * WorkflowNodeView draws one node of the canvas: an input handle (unless it
 * is a trigger), one source handle per output handle (condition true/false,
 * split variants, classify labels, error), its problems and its run counts.
 */
export const WorkflowNodeView = memo(function WorkflowNodeView({
  id,
  type,
  typeLabel,
  label,
  summary,
  handles,
  hasInput,
  selected,
  problems,
  stats,
  unknownType,
}: WorkflowNodeViewProps) {
  const accent = nodeAccent(type);
  const hasProblems = (problems?.length ?? 0) > 0 || unknownType;
  const named = handles.length > 1 || (handles.length === 1 && handles[0]!.id !== "out");
  const counts = stats ? statsLine(stats) : [];
  return (
    <div
      data-testid={`node-${id}`}
      data-node-type={type}
      data-invalid={hasProblems ? "true" : undefined}
      className={cn(
        "relative w-60 rounded-lg border bg-white text-left shadow-sm transition-shadow",
        selected ? "border-brand-500 ring-2 ring-brand-500/25" : "border-slate-200 hover:shadow-md",
        hasProblems && "border-red-400 ring-2 ring-red-500/25",
      )}
    >
      <span className={cn("absolute inset-y-0 left-0 w-1 rounded-l-lg", accent.bar)} aria-hidden />
      {hasInput && (
        <Handle type="target" position={Position.Top} id="in" data-testid={`handle-${id}-in`} className="!-top-1.5" />
      )}
      <div className="flex items-start gap-2.5 py-2.5 pr-3 pl-3.5">
        <span className={cn("mt-0.5 grid size-7 shrink-0 place-items-center rounded-md", accent.icon)}>
          <NodeIcon type={type} className="size-4" />
        </span>
        <div className="min-w-0 flex-1">
          <div className="truncate text-[13px] font-semibold text-slate-900">{label || typeLabel}</div>
          <div className="truncate text-[11px] text-slate-500">{summary || (label ? typeLabel : type)}</div>
        </div>
        {hasProblems && <AlertCircle className="mt-0.5 size-4 shrink-0 text-red-500" aria-label="Has problems" />}
      </div>
      {hasProblems && (
        <div data-testid={`node-problems-${id}`} className="border-t border-red-100 bg-red-50/70 px-3 py-1.5 text-[11px] leading-4 text-red-700">
          {unknownType ? `Unknown node type "${type}"` : problems![0]!.message}
          {(problems?.length ?? 0) > 1 && <span className="text-red-500"> (+{problems!.length - 1} more)</span>}
        </div>
      )}
      {counts.length > 0 && (
        <div data-testid={`node-stats-${id}`} className="flex gap-2 border-t border-slate-100 px-3 py-1 text-[11px] font-medium">
          {counts.map(([k, n, cls]) => (
            <span key={k} className={cls}>
              {n} {k}
            </span>
          ))}
        </div>
      )}
      {named && (
        <div className="flex justify-around gap-1 border-t border-slate-100 px-2 pt-1 pb-2">
          {handles.map((h) => (
            <span key={h.id} className={cn("max-w-20 truncate text-[10px] font-medium", h.id === "error" ? "text-red-600" : "text-slate-500")}>
              {h.label || h.id}
            </span>
          ))}
        </div>
      )}
      {handles.map((h, i) => (
        <Handle
          key={h.id}
          type="source"
          position={Position.Bottom}
          id={h.id}
          data-testid={`handle-${id}-${h.id}`}
          title={h.label || h.id}
          className={cn("!-bottom-1.5", h.id === "error" && "!bg-red-400")}
          style={{ left: `${((i + 1) / (handles.length + 1)) * 100}%` }}
        />
      ))}
    </div>
  );
});
