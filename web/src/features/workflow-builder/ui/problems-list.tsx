"use client";
import { memo } from "react";
import { AlertCircle, CheckCircle2 } from "lucide-react";
import { useBuilder } from "../model/context";

/** Every validation problem of the draft; a click selects the node it concerns. */
export const ProblemsList = memo(function ProblemsList({ onSelect }: { onSelect: (nodeId: string) => void }) {
  const problems = useBuilder((s) => s.problems);
  const edges = useBuilder((s) => s.edges);
  if (problems.length === 0) {
    return (
      <div className="flex items-center gap-2 px-4 py-3 text-xs text-emerald-700" data-testid="problems-none">
        <CheckCircle2 className="size-4" aria-hidden /> No problems. Publish when you are ready.
      </div>
    );
  }
  return (
    <ul className="divide-y divide-slate-100" data-testid="problems-list">
      {problems.map((p, i) => {
        const nodeId = p.nodeId ?? edges.find((e) => e.id === p.edgeId)?.source;
        return (
          <li key={i}>
            <button
              type="button"
              disabled={!nodeId}
              onClick={() => nodeId && onSelect(nodeId)}
              className="flex w-full gap-2 px-4 py-2 text-left text-xs hover:bg-slate-50 disabled:cursor-default"
              data-testid="problem-item"
              data-node-id={p.nodeId}
              data-edge-id={p.edgeId}
            >
              <AlertCircle className="mt-0.5 size-3.5 shrink-0 text-red-500" aria-hidden />
              <span className="min-w-0">
                <span className="text-slate-800">{p.message}</span>
                <span className="block font-mono text-[10px] text-slate-400">
                  {p.code}
                  {p.nodeId ? ` · node ${p.nodeId}` : ""}
                  {p.edgeId ? ` · edge ${p.edgeId}` : ""}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
});
