import dagre from "@dagrejs/dagre";
import type { XYPosition } from "@xyflow/react";

/** A node to lay out: its id and, when React Flow has measured it, its size. */
export interface LayoutNode {
  id: string;
  width?: number;
  height?: number;
  position: XYPosition;
}

/** An edge to lay out; `order` ranks a node's outputs left to right (true before false, variant a before b). */
export interface LayoutEdge {
  source: string;
  target: string;
  order?: number;
}

const NODE_WIDTH = 240;
const NODE_HEIGHT = 72;

/**
 * tidyLayout places the graph top to bottom with dagre: ranks 80 px apart,
 * siblings 60 px apart, each node's outputs in handle order. The result is
 * anchored where the graph's first trigger (the first node) was, so the
 * journey does not jump away from where the user was looking, and snapped
 * to the canvas's 10 px grid. Nodes without edges are laid out too.
 */
export function tidyLayout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Record<string, XYPosition> {
  if (nodes.length === 0) return {};
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 60, ranksep: 80, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  const sorted = [...edges].filter((e) => ids.has(e.source) && ids.has(e.target)).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  // dagre's first ordering follows insertion order: add nodes breadth first
  // from the roots along edges in handle order, so "true" sits left of "false".
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const hasInput = new Set(sorted.map((e) => e.target));
  const queue = nodes.filter((n) => !hasInput.has(n.id)).map((n) => n.id);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    order.push(id);
    queue.push(id);
  };
  for (const id of queue) {
    seen.add(id);
    order.push(id);
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of sorted) if (e.source === id) visit(e.target);
  }
  for (const n of nodes) if (!seen.has(n.id)) order.push(n.id);
  for (const id of order) {
    const n = byId.get(id)!;
    g.setNode(id, { width: n.width || NODE_WIDTH, height: n.height || NODE_HEIGHT });
  }
  // Among siblings dagre puts the edge added last leftmost: add them in reverse handle order.
  for (const e of [...sorted].reverse()) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const raw: Record<string, XYPosition> = {};
  for (const n of nodes) {
    const p = g.node(n.id) as { x: number; y: number; width: number; height: number } | undefined;
    if (p) raw[n.id] = { x: p.x - p.width / 2, y: p.y - p.height / 2 };
  }
  const anchor = nodes[0]!;
  const first = raw[anchor.id]!;
  const dx = anchor.position.x - first.x;
  const dy = anchor.position.y - first.y;
  const snap = (v: number) => Math.round(v / 10) * 10;
  const out: Record<string, XYPosition> = {};
  for (const [id, p] of Object.entries(raw)) out[id] = { x: snap(p.x + dx), y: snap(p.y + dy) };
  return out;
}
