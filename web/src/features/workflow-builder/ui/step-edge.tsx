"use client";
import { memo } from "react";
import { BaseEdge, EdgeLabelRenderer, getSmoothStepPath, type EdgeProps } from "@xyflow/react";
import { Plus } from "lucide-react";
import { cn } from "@/shared/lib";
import { useBuilder, useBuilderStore } from "../model/context";
import type { DiffMark } from "../model/diff";
import { EdgeFunnel } from "./funnel-overlay";

const diffStroke: Record<DiffMark, React.CSSProperties> = {
  added: { stroke: "#059669", strokeWidth: 2.5 },
  changed: { stroke: "#d97706", strokeWidth: 2.5 },
  removed: { stroke: "#dc2626", strokeWidth: 2, strokeDasharray: "6 4", opacity: 0.7 },
};

/**
 * StepEdge draws a connection as a rounded step line with a "+" at its
 * middle that splices a new step in. In the diff view it is coloured by
 * its diff mark (added green, removed red and dashed) and offers no "+".
 */
export const StepEdge = memo(function StepEdge(props: EdgeProps) {
  const { id, source, target, sourceHandleId, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, markerEnd, style, selected, data, interactionWidth } = props;
  const store = useBuilderStore();
  const editable = useBuilder((s) => !s.readOnly && s.compare === null);
  const hovered = useBuilder((s) => s.hoverEdge === id);
  const workflowId = useBuilder((s) => s.workflowId);
  const mark = (data as { diff?: DiffMark } | undefined)?.diff;
  const [path, labelX, labelY] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 10 });
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} interactionWidth={interactionWidth} style={{ ...style, ...(mark ? diffStroke[mark] : undefined) }} />
      {!mark && (
        <EdgeLabelRenderer>
          <EdgeFunnel edgeId={id} source={source} sourceHandle={sourceHandleId} target={target} x={labelX} y={labelY} workflowId={workflowId} />
        </EdgeLabelRenderer>
      )}
      {editable && (
        <EdgeLabelRenderer>
          <button
            type="button"
            aria-label={`Add a step on this connection`}
            title="Add a step here"
            className={cn(
              "nodrag nopan pointer-events-auto absolute grid size-5 place-items-center rounded-full border border-slate-300 bg-white text-slate-500 shadow-sm transition",
              "opacity-0 hover:border-brand-500 hover:bg-brand-50 hover:text-brand-600 hover:opacity-100 focus:opacity-100",
              (selected || hovered) && "opacity-100",
            )}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            onClick={(e) => {
              e.stopPropagation();
              const r = e.currentTarget.getBoundingClientRect();
              store.getState().openInsert({
                x: r.right + 8,
                y: r.top - 8,
                title: "Insert a step on this connection",
                position: { x: Math.round((labelX - 120) / 10) * 10, y: Math.round((labelY - 30) / 10) * 10 },
                spliceEdge: id,
              });
            }}
            data-testid={`add-on-${id}`}
          >
            <Plus className="size-3" aria-hidden />
          </button>
        </EdgeLabelRenderer>
      )}
    </>
  );
});

export const builderEdgeTypes = { step: StepEdge };
