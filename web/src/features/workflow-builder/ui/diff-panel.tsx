"use client";
import { memo, type ReactNode } from "react";
import { useReactFlow } from "@xyflow/react";
import { ArrowRight, GitCompareArrows, Minus, Pencil, Plus, X } from "lucide-react";
import { NodeIcon, useWorkflowVersions } from "@/entities/workflow";
import { errorMessage } from "@/shared/api";
import { cn } from "@/shared/lib";
import { Select, Skeleton } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import { fieldLabel, GHOST_PREFIX, useWorkflowDiff, type DiffSide } from "../model/diff";

function Section({ title, count, tone, children }: { title: string; count: number; tone: "added" | "changed" | "removed"; children: ReactNode }) {
  if (count === 0) return null;
  const cls = { added: "bg-emerald-100 text-emerald-800", changed: "bg-amber-100 text-amber-800", removed: "bg-red-100 text-red-800" }[tone];
  return (
    <section className="border-b border-slate-100 px-4 py-3" data-testid={`diff-section-${tone}`}>
      <h3 className="mb-2 flex items-center gap-2 text-xs font-semibold text-slate-700">
        {title} <span className={cn("rounded px-1.5 text-[10px]", cls)}>{count}</span>
      </h3>
      <ul className="space-y-1.5">{children}</ul>
    </section>
  );
}

/**
 * DiffPanel lists what differs between a chosen version and the draft
 * (the canvas highlights the same): steps added, changed (each changed
 * setting with its old and new value) and removed, and connections added
 * and removed. A click on a step frames it on the canvas.
 */
export const DiffPanel = memo(function DiffPanel({ workflowId, liveVersion }: { workflowId: string; liveVersion: number }) {
  const store = useBuilderStore();
  const compare = useBuilder((s) => s.compare) ?? "live";
  const revision = useBuilder((s) => s.revision);
  const nodeTypes = useBuilder((s) => s.nodeTypes);
  const nodes = useBuilder((s) => s.nodes);
  const versions = useWorkflowVersions(workflowId);
  const diff = useWorkflowDiff(workflowId, compare, revision);
  const { setCenter, getNode } = useReactFlow();

  const name = (id: string) => {
    const n = nodes.find((x) => x.id === id);
    return n?.data.label || (n ? nodeTypes[n.data.type]?.label : undefined) || id;
  };
  const focus = (id: string, ghost = false) => {
    const n = getNode(ghost ? GHOST_PREFIX + id : id);
    if (!n) return;
    void setCenter(n.position.x + (n.measured?.width ?? 240) / 2, n.position.y + (n.measured?.height ?? 60) / 2, { zoom: 1, duration: 300 });
    if (!ghost) store.getState().select(id);
  };
  const handle = (h?: string) => (h && h !== "out" ? ` (${h})` : "");
  const removedName = new Map((diff.data?.removedNodes ?? []).map((n) => [n.id, n.label || nodeTypes[n.type]?.label || n.id]));
  const endName = (id: string) => removedName.get(id) ?? name(id);
  const d = diff.data;
  const baseLabel = compare === "live" ? `live version ${liveVersion}` : `version ${compare}`;

  return (
    <div className="flex h-full flex-col" data-testid="diff-panel">
      <div className="flex items-start gap-2 border-b border-slate-200 px-4 py-3">
        <GitCompareArrows className="mt-0.5 size-4 shrink-0 text-brand-600" aria-hidden />
        <div className="min-w-0 flex-1">
          <h2 className="text-sm font-semibold text-slate-900">Changes in the draft</h2>
          <p className="text-xs text-slate-500">Compared with {baseLabel}. Moving steps is not a change.</p>
        </div>
        <button type="button" aria-label="Close compare" onClick={() => store.getState().setCompare(null)} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600" data-testid="diff-close">
          <X className="size-4" />
        </button>
      </div>
      <div className="border-b border-slate-200 px-4 py-2.5">
        <label className="flex items-center gap-2 text-xs text-slate-600">
          <span className="shrink-0">Compare with</span>
          <Select
            value={String(compare)}
            onChange={(e) => store.getState().setCompare((e.target.value === "live" ? "live" : Number(e.target.value)) as DiffSide)}
            data-testid="diff-base"
            className="h-7 text-xs"
          >
            <option value="live">Live (v{liveVersion})</option>
            {(versions.data ?? [])
              .filter((v) => v.version !== liveVersion)
              .map((v) => (
                <option key={v.id} value={String(v.version)}>
                  Version {v.version}
                </option>
              ))}
          </Select>
        </label>
      </div>
      <div className="flex-1 overflow-y-auto">
        {diff.isPending ? (
          <div className="space-y-2 p-4">
            <Skeleton className="h-5 w-full" />
            <Skeleton className="h-5 w-2/3" />
          </div>
        ) : diff.isError ? (
          <p className="p-4 text-xs text-red-700">{errorMessage(diff.error)}</p>
        ) : d && !d.changed ? (
          <p className="p-4 text-xs text-slate-600" data-testid="diff-none">
            No differences: the draft does the same as {baseLabel}
            {d.movedNodes.length > 0 ? ` (${d.movedNodes.length} step${d.movedNodes.length > 1 ? "s" : ""} only moved)` : ""}.
          </p>
        ) : d ? (
          <>
            <Section title="Added steps" count={d.addedNodes.length} tone="added">
              {d.addedNodes.map((n) => (
                <li key={n.id}>
                  <button type="button" onClick={() => focus(n.id)} className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left text-xs hover:bg-slate-50" data-testid={`diff-added-${n.id}`}>
                    <Plus className="size-3 shrink-0 text-emerald-600" aria-hidden />
                    <NodeIcon type={n.type} className="size-3.5 shrink-0 text-slate-500" />
                    <span className="truncate text-slate-800">{name(n.id)}</span>
                  </button>
                </li>
              ))}
            </Section>
            <Section title="Changed steps" count={d.changedNodes.length} tone="changed">
              {d.changedNodes.map((n) => (
                <li key={n.id}>
                  <button type="button" onClick={() => focus(n.id)} className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left text-xs hover:bg-slate-50" data-testid={`diff-changed-${n.id}`}>
                    <Pencil className="size-3 shrink-0 text-amber-600" aria-hidden />
                    <NodeIcon type={n.type} className="size-3.5 shrink-0 text-slate-500" />
                    <span className="truncate text-slate-800">{name(n.id)}</span>
                  </button>
                  <dl className="mt-1 ml-6 space-y-1">
                    {n.fields.map((f) => (
                      <div key={f.path} className="text-[11px]" data-testid="diff-field">
                        <dt className="font-medium text-slate-600">{fieldLabel(f.path)}</dt>
                        <dd className="flex flex-wrap items-center gap-1 font-mono break-all">
                          {f.before ? <span className="rounded bg-red-50 px-1 text-red-700 line-through decoration-red-300">{f.before}</span> : <span className="text-slate-400">(none)</span>}
                          <ArrowRight className="size-3 shrink-0 text-slate-400" aria-hidden />
                          {f.after ? <span className="rounded bg-emerald-50 px-1 text-emerald-800">{f.after}</span> : <span className="text-slate-400">(removed)</span>}
                        </dd>
                      </div>
                    ))}
                    {n.truncated && <div className="text-[11px] text-slate-500">…and more</div>}
                  </dl>
                </li>
              ))}
            </Section>
            <Section title="Removed steps" count={d.removedNodes.length} tone="removed">
              {d.removedNodes.map((n) => (
                <li key={n.id}>
                  <button type="button" onClick={() => focus(n.id, true)} className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left text-xs hover:bg-slate-50" data-testid={`diff-removed-${n.id}`}>
                    <Minus className="size-3 shrink-0 text-red-600" aria-hidden />
                    <NodeIcon type={n.type} className="size-3.5 shrink-0 text-slate-500" />
                    <span className="truncate text-slate-800 line-through decoration-slate-400">{n.label || nodeTypes[n.type]?.label || n.id}</span>
                  </button>
                </li>
              ))}
            </Section>
            <Section title="Connections" count={d.addedEdges.length + d.removedEdges.length} tone={d.addedEdges.length ? "added" : "removed"}>
              {d.addedEdges.map((e) => (
                <li key={`a${e.id}`} className="flex items-center gap-1.5 text-xs text-slate-700" data-testid="diff-edge-added">
                  <Plus className="size-3 shrink-0 text-emerald-600" aria-hidden />
                  <span className="truncate">
                    {endName(e.source)}
                    {handle(e.sourceHandle)} → {endName(e.target)}
                  </span>
                </li>
              ))}
              {d.removedEdges.map((e) => (
                <li key={`r${e.id}`} className="flex items-center gap-1.5 text-xs text-slate-500" data-testid="diff-edge-removed">
                  <Minus className="size-3 shrink-0 text-red-600" aria-hidden />
                  <span className="truncate line-through decoration-slate-400">
                    {endName(e.source)}
                    {handle(e.sourceHandle)} → {endName(e.target)}
                  </span>
                </li>
              ))}
            </Section>
          </>
        ) : null}
      </div>
    </div>
  );
});
