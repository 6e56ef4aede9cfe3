import type { Definition, DefinitionEdge, DefinitionNode } from "@/shared/api";
import { DEFAULT_HANDLE } from "@/entities/workflow";
import type { BuilderEdge, BuilderNode } from "./types";

/** fromDefinition turns a stored definition into React Flow nodes and edges. */
export function fromDefinition(def: Definition | null | undefined): { nodes: BuilderNode[]; edges: BuilderEdge[] } {
  const nodes: BuilderNode[] = (def?.nodes ?? []).map((n: DefinitionNode, i: number) => ({
    id: n.id,
    type: "workflow",
    position: n.position ?? { x: 0, y: i * 140 },
    data: {
      type: n.type,
      config: (n.config && typeof n.config === "object" ? n.config : {}) as Record<string, unknown>,
      label: (n as { label?: string }).label || undefined,
    },
  }));
  const edges: BuilderEdge[] = (def?.edges ?? []).map((e: DefinitionEdge) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    sourceHandle: e.sourceHandle || DEFAULT_HANDLE,
    targetHandle: "in",
  }));
  return { nodes, edges };
}

/** toDefinition is the inverse: what the builder sends to the API. */
export function toDefinition(nodes: readonly BuilderNode[], edges: readonly BuilderEdge[]): Definition {
  return {
    nodes: nodes.map((n) => {
      const out: Record<string, unknown> = {
        id: n.id,
        type: n.data.type,
        config: n.data.config ?? {},
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      };
      if (n.data.label) out.label = n.data.label;
      return out as DefinitionNode;
    }),
    edges: edges.map((e) => {
      const out: Record<string, unknown> = { id: e.id, source: e.source, target: e.target };
      if (e.sourceHandle && e.sourceHandle !== DEFAULT_HANDLE) out.sourceHandle = e.sourceHandle;
      return out as DefinitionEdge;
    }),
  } as Definition;
}

/** A readable, unique node id from its type: "email_send", "email_send_2", … */
export function nextNodeId(type: string, taken: ReadonlySet<string>): string {
  const base = type.replace(/^trigger\./, "trigger_").replace(/[^a-z0-9]+/gi, "_").toLowerCase() || "node";
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}
