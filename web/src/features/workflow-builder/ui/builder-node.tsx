"use client";
import { memo, useMemo } from "react";
import type { NodeProps } from "@xyflow/react";
import { configSummary, isTrigger, outputHandles, WorkflowNodeView } from "@/entities/workflow";
import { useBuilder } from "../model/context";
import type { BuilderNode } from "../model/types";

/**
 * The canvas renderer of a builder node. It reads only its own slice of
 * the store (its type, its problems, its counts), so a change to one node
 * re-renders that node alone.
 */
export const BuilderNodeRenderer = memo(function BuilderNodeRenderer({ id, data, selected }: NodeProps<BuilderNode>) {
  const nodeType = useBuilder((s) => s.nodeTypes[data.type]);
  const problems = useBuilder((s) => s.problemIndex.byNode.get(id));
  const stats = useBuilder((s) => s.stats[id]);
  const typesLoaded = useBuilder((s) => Object.keys(s.nodeTypes).length > 0);
  const handles = useMemo(() => outputHandles(nodeType, data.config), [nodeType, data.config]);
  return (
    <WorkflowNodeView
      id={id}
      type={data.type}
      typeLabel={nodeType?.label ?? data.type}
      label={data.label}
      summary={configSummary(data.type, data.config)}
      handles={data.type === "end" ? [] : handles}
      hasInput={!isTrigger(data.type) && (nodeType?.inputs ?? 1) !== 0}
      selected={selected}
      problems={problems}
      stats={stats}
      unknownType={typesLoaded && !nodeType}
    />
  );
});

export const builderNodeTypes = { workflow: BuilderNodeRenderer };
