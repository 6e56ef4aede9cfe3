"use client";
import { memo, useMemo } from "react";
import type { NodeProps } from "@xyflow/react";
import { Plus } from "lucide-react";
import { configSummary, isTrigger, outputHandles, WorkflowNodeView } from "@/entities/workflow";
import { useSegmentName } from "@/entities/segment";
import { cn } from "@/shared/lib";
import { useBuilder, useBuilderStore } from "../model/context";
import { STEP_GAP_Y } from "../model/editing";
import type { DiffMark } from "../model/diff";
import type { BuilderNode } from "../model/types";
import { NodeFunnel } from "./funnel-overlay";

const NODE_WIDTH = 240;

const markStyle: Record<DiffMark, { ring: string; badge: string; text: string }> = {
  added: { ring: "ring-2 ring-emerald-500 ring-offset-2", badge: "bg-emerald-600 text-white", text: "Added" },
  changed: { ring: "ring-2 ring-amber-500 ring-offset-2", badge: "bg-amber-500 text-white", text: "Changed" },
  removed: { ring: "opacity-60 grayscale [&>div]:border-dashed [&>div]:border-red-400", badge: "bg-red-600 text-white", text: "Removed" },
};

/**
 * The canvas renderer of a builder node. It reads only its own slice of
 * the store (its type, its problems, its counts, its diff mark), so a
 * change to one node re-renders that node alone. Under each output handle
 * a "+" adds a step connected to it.
 */
export const BuilderNodeRenderer = memo(function BuilderNodeRenderer(props: NodeProps<BuilderNode>) {
  return props.data.type === "trigger.segment" && !props.data.ghostOf ? <SegmentTriggerNode {...props} /> : <NodeRenderer {...props} />;
});

/** A trigger.segment node says which segment (by name) and which change starts the journey. */
function SegmentTriggerNode(props: NodeProps<BuilderNode>) {
  const config = (props.data.config ?? {}) as { segmentId?: unknown; on?: unknown };
  const segmentId = typeof config.segmentId === "string" ? config.segmentId : "";
  const segment = useSegmentName(segmentId || null);
  const name = segment ?? (segmentId ? "Unknown segment" : "");
  const summary = name ? `${config.on === "exited" ? "Exits" : "Enters"} ${name}` : "";
  return <NodeRenderer {...props} summary={summary} />;
}

function NodeRenderer({ id, data, selected, positionAbsoluteX, positionAbsoluteY, summary }: NodeProps<BuilderNode> & { summary?: string }) {
  const store = useBuilderStore();
  const nodeType = useBuilder((s) => s.nodeTypes[data.type]);
  const problems = useBuilder((s) => s.problemIndex.byNode.get(id));
  const stats = useBuilder((s) => s.stats[id]);
  const workflowId = useBuilder((s) => s.workflowId);
  const typesLoaded = useBuilder((s) => Object.keys(s.nodeTypes).length > 0);
  const editable = useBuilder((s) => !s.readOnly && s.compare === null);
  const mark = useBuilder((s) => (data.ghostOf ? "removed" : s.diffMarks?.get(id))) as DiffMark | undefined;
  // The handles already connected, as one string so the selector's result compares by value.
  const used = useBuilder((s) => s.edges.filter((e) => e.source === id).map((e) => e.sourceHandle || "out").join("\u0000"));
  const handles = useMemo(() => (data.type === "end" ? [] : outputHandles(nodeType, data.config)), [nodeType, data.type, data.config]);

  const openInsert = (handleId: string, handleLabel: string, index: number, el: HTMLElement) => {
    const r = el.getBoundingClientRect();
    const x = positionAbsoluteX + ((index + 1) / (handles.length + 1)) * NODE_WIDTH - NODE_WIDTH / 2;
    store.getState().openInsert({
      x: r.left - 20,
      y: r.bottom + 6,
      title: `Add a step after ${data.label || nodeType?.label || id}${handles.length > 1 ? ` (${handleLabel})` : ""}`,
      position: { x: Math.round(x / 10) * 10, y: Math.round((positionAbsoluteY + STEP_GAP_Y) / 10) * 10 },
      from: { source: id, sourceHandle: handleId },
    });
  };

  const m = mark ? markStyle[mark] : null;
  return (
    <div className={cn("group/node relative rounded-lg", m?.ring)} data-diff={mark}>
      <WorkflowNodeView
        id={data.ghostOf ?? id}
        type={data.type}
        typeLabel={nodeType?.label ?? data.type}
        label={data.label}
        summary={data.ghostOf ? "Removed in the draft" : (summary ?? configSummary(data.type, data.config))}
        handles={handles}
        hasInput={!isTrigger(data.type) && (nodeType?.inputs ?? 1) !== 0}
        selected={selected}
        problems={data.ghostOf ? undefined : problems}
        stats={stats}
        unknownType={typesLoaded && !nodeType}
      />
      {!data.ghostOf && <NodeFunnel nodeId={id} workflowId={workflowId} />}
      {m && (
        <span className={cn("absolute -top-2.5 right-2 rounded px-1.5 py-0.5 text-[10px] font-semibold shadow-sm", m.badge)} data-testid={`diff-badge-${data.ghostOf ?? id}`}>
          {m.text}
        </span>
      )}
      {editable &&
        handles.map((h, i) => (
          <button
            key={h.id}
            type="button"
            aria-label={`Add a step after ${id}${handles.length > 1 ? ` (${h.label || h.id})` : ""}`}
            title={`Add a step here${handles.length > 1 ? ` (${h.label || h.id})` : ""}`}
            onClick={(e) => (e.stopPropagation(), openInsert(h.id, h.label || h.id, i, e.currentTarget))}
            className={cn(
              "nodrag nopan absolute top-full z-10 mt-3 grid size-5 -translate-x-1/2 place-items-center rounded-full border bg-white shadow-sm transition",
              "border-slate-300 text-slate-500 opacity-0 group-hover/node:opacity-100 hover:border-brand-500 hover:bg-brand-50 hover:text-brand-600 focus:opacity-100",
              // An open output invites the next step; a connected one offers "+" on hover (it inserts in between).
              (selected || !used.split("\u0000").includes(h.id)) && "opacity-100",
            )}
            style={{ left: `${((i + 1) / (handles.length + 1)) * 100}%` }}
            data-testid={`add-after-${id}-${h.id}`}
          >
            <Plus className="size-3" aria-hidden />
          </button>
        ))}
    </div>
  );
}

export const builderNodeTypes = { workflow: BuilderNodeRenderer };
