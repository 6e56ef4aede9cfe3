import type { Connection } from "@xyflow/react";
import type { NodeType } from "@/shared/api";
import { isTrigger, outputHandles, sameHandle } from "@/entities/workflow";
import type { BuilderEdge, BuilderNode } from "./types";

export type ConnectionVerdict = { ok: true } | { ok: false; reason: string };

/**
 * checkConnection applies the builder's connection rules: both ends exist,
 * no self-loops, nothing connects into a trigger, the source handle is one
 * the source node really has (including dynamic ones), and the same
 * handle → target edge does not exist twice.
 */
export function checkConnection(
  c: Pick<Connection, "source" | "target" | "sourceHandle">,
  nodes: readonly BuilderNode[],
  edges: readonly BuilderEdge[],
  nodeTypes: Readonly<Record<string, NodeType>>,
): ConnectionVerdict {
  const source = nodes.find((n) => n.id === c.source);
  const target = nodes.find((n) => n.id === c.target);
  if (!source || !target) return { ok: false, reason: "Both ends must be nodes on the canvas." };
  if (source.id === target.id) return { ok: false, reason: "A node cannot connect to itself." };
  if (isTrigger(target.data.type)) return { ok: false, reason: "Nothing can connect into a trigger." };
  const nt = nodeTypes[target.data.type];
  if (nt && nt.inputs === 0) return { ok: false, reason: `${nt.label} takes no input.` };
  const handles = outputHandles(nodeTypes[source.data.type], source.data.config);
  if (!handles.some((h) => sameHandle(h.id, c.sourceHandle))) {
    return { ok: false, reason: `"${c.sourceHandle ?? "out"}" is not an output of ${source.id}.` };
  }
  if (edges.some((e) => e.source === c.source && e.target === c.target && sameHandle(e.sourceHandle, c.sourceHandle))) {
    return { ok: false, reason: "These nodes are already connected that way." };
  }
  return { ok: true };
}
