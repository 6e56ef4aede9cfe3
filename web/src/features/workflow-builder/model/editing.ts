import type { XYPosition } from "@xyflow/react";
import { DEFAULT_HANDLE, isTrigger } from "@/entities/workflow";
import { nextNodeId } from "./definition";
import type { BuilderEdge, BuilderNode } from "./types";

/** Steps copied with Ctrl+C: the selected nodes and the edges between them. */
export interface Clip {
  nodes: BuilderNode[];
  edges: BuilderEdge[];
}

/** The vertical distance between a step and the one it leads to. */
export const STEP_GAP_Y = 140;

/** A fresh edge id ("e1", "e2", …) not in `taken`; the id is added to it. */
export function nextEdgeId(taken: Set<string>): string {
  let n = taken.size + 1;
  while (taken.has(`e${n}`)) n++;
  const id = `e${n}`;
  taken.add(id);
  return id;
}

/** clipOf copies the selected nodes and the edges that run between two of them. */
export function clipOf(nodes: readonly BuilderNode[], edges: readonly BuilderEdge[]): Clip | null {
  const picked = nodes.filter((n) => n.selected && !n.data.ghostOf);
  if (picked.length === 0) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => structuredClone({ id: n.id, type: n.type, position: n.position, data: n.data }) as BuilderNode),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle, targetHandle: "in" })),
  };
}

/**
 * pasteClip adds a copy of clip to the graph: every node gets a new id
 * (named after its type, as a dropped node is), the inner edges follow
 * their nodes, and the copy is moved by `offset` (or placed with its
 * top-left corner at `at`). The copies are selected, the rest is not.
 */
export function pasteClip(
  clip: Clip,
  nodes: readonly BuilderNode[],
  edges: readonly BuilderEdge[],
  place: { offset: XYPosition } | { at: XYPosition },
): { nodes: BuilderNode[]; edges: BuilderEdge[]; ids: string[] } {
  const taken = new Set(nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = nextNodeId(n.data.type, taken);
    taken.add(id);
    rename.set(n.id, id);
  }
  let dx: number, dy: number;
  if ("at" in place) {
    const minX = Math.min(...clip.nodes.map((n) => n.position.x));
    const minY = Math.min(...clip.nodes.map((n) => n.position.y));
    dx = place.at.x - minX;
    dy = place.at.y - minY;
  } else {
    dx = place.offset.x;
    dy = place.offset.y;
  }
  const copies: BuilderNode[] = clip.nodes.map((n) => ({
    id: rename.get(n.id)!,
    type: "workflow",
    position: { x: Math.round(n.position.x + dx), y: Math.round(n.position.y + dy) },
    data: structuredClone(n.data),
    selected: true,
  }));
  const edgeIds = new Set(edges.map((e) => e.id));
  const newEdges: BuilderEdge[] = clip.edges.map((e) => ({
    id: nextEdgeId(edgeIds),
    source: rename.get(e.source)!,
    target: rename.get(e.target)!,
    sourceHandle: e.sourceHandle || DEFAULT_HANDLE,
    targetHandle: "in",
  }));
  return {
    nodes: [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...copies],
    edges: [...edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...newEdges],
    ids: copies.map((n) => n.id),
  };
}

/** Every node reachable downstream from `start` (itself included). */
export function downstream(start: string, edges: readonly BuilderEdge[]): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of edges) {
      if (e.source === id && !seen.has(e.target)) {
        seen.add(e.target);
        queue.push(e.target);
      }
    }
  }
  return seen;
}

/** Whether a step of this type can be put after another one (triggers start journeys; nothing leads into them). */
export function insertable(type: string, inputs: number | undefined): boolean {
  return !isTrigger(type) && (inputs ?? 1) !== 0;
}
