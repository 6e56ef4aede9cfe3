import type { Edge, Node } from "@xyflow/react";

/** The data React Flow carries for each node of the builder. */
export type BuilderNodeData = {
  type: string;
  config: Record<string, unknown>;
  label?: string;
  /** Set on the ghost of a node removed since the compared version (diff view only). */
  ghostOf?: string;
};

export type BuilderNode = Node<BuilderNodeData, "workflow">;
export type BuilderEdge = Edge;

/** What undo/redo restores: the graph, without selection or drag state. */
export interface Snapshot {
  nodes: BuilderNode[];
  edges: BuilderEdge[];
}
