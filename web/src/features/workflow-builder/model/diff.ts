"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";
import { DEFAULT_HANDLE } from "@/entities/workflow";
import type { BuilderEdge, BuilderNode } from "./types";

/** A side of a comparison: the live version, the draft, or a version number. */
export type DiffSide = "live" | "draft" | number;

/** Fetches the server's semantic diff between two sides of a workflow. */
export async function fetchWorkflowDiff(id: string, from: DiffSide, to: DiffSide) {
  const d = await unwrap(client.GET("/api/v1/workflows/{id}/diff", { params: { path: { id }, query: { from: String(from), to: String(to) } } }));
  return {
    ...d,
    addedNodes: d.addedNodes ?? [],
    removedNodes: d.removedNodes ?? [],
    changedNodes: (d.changedNodes ?? []).map((n) => ({ ...n, fields: n.fields ?? [] })),
    addedEdges: d.addedEdges ?? [],
    removedEdges: d.removedEdges ?? [],
    movedNodes: d.movedNodes ?? [],
  };
}

export type WorkflowDiff = Awaited<ReturnType<typeof fetchWorkflowDiff>>;

/** The query key of a diff; under workflows.all so a publish or save invalidates it with the rest. */
export function diffKey(id: string, from: DiffSide, to: DiffSide, revision: number) {
  return [...queryKeys.workflows.all, "diff", id, String(from), String(to), revision] as const;
}

/**
 * useWorkflowDiff asks the server how the saved draft (at `revision`)
 * differs from `from`. The key carries the revision, so every save asks
 * again and the answer is never about an older draft.
 */
export function useWorkflowDiff(id: string, from: DiffSide, revision: number, enabled = true) {
  return useQuery({
    queryKey: diffKey(id, from, "draft", revision),
    queryFn: () => fetchWorkflowDiff(id, from, "draft"),
    enabled,
    staleTime: 30_000,
    placeholderData: (prev) => prev,
  });
}

/** How a node or edge shows in the diff view. */
export type DiffMark = "added" | "changed" | "removed";

/** What the canvas draws for a diff: marks on the draft's nodes and edges, and ghosts of what was removed. */
export interface DiffOverlay {
  nodes: Map<string, DiffMark>;
  edges: Map<string, DiffMark>;
  ghostNodes: BuilderNode[];
  ghostEdges: BuilderEdge[];
}

const edgeKey = (source: string, handle: string | null | undefined, target: string) => `${source}\u0000${handle || DEFAULT_HANDLE}\u0000${target}`;

/** Prefix of the ids of removed nodes and edges drawn as ghosts, so they never clash with the draft's. */
export const GHOST_PREFIX = "removed:";

/**
 * diffOverlay maps a diff onto the graph on the canvas: added and changed
 * nodes, added edges (matched by source, handle and target, as the server
 * matches them) and ghost nodes and edges for what the draft removed.
 */
export function diffOverlay(diff: WorkflowDiff, edges: readonly BuilderEdge[], draftNodes: readonly BuilderNode[] = []): DiffOverlay {
  const nodes = new Map<string, DiffMark>();
  for (const n of diff.addedNodes) nodes.set(n.id, "added");
  for (const n of diff.changedNodes) nodes.set(n.id, "changed");
  const added = new Set(diff.addedEdges.map((e) => edgeKey(e.source, e.sourceHandle, e.target)));
  const edgeMarks = new Map<string, DiffMark>();
  for (const e of edges) if (added.has(edgeKey(e.source, e.sourceHandle, e.target))) edgeMarks.set(e.id, "added");
  // A ghost stands where the step was; when a draft step now stands there, it moves aside so both read.
  const boxes = draftNodes.map((n) => ({ x: n.position.x, y: n.position.y, w: n.measured?.width ?? 240, h: n.measured?.height ?? 70 }));
  const place = (p: { x: number; y: number }) => {
    let x = p.x;
    for (let i = 0; i < 20 && boxes.some((b) => x < b.x + b.w + 20 && b.x < x + 260 && p.y < b.y + b.h + 10 && b.y < p.y + 80); i++) x -= 280;
    boxes.push({ x, y: p.y, w: 240, h: 70 });
    return { x, y: p.y };
  };
  const ghostNodes: BuilderNode[] = diff.removedNodes.map((n) => ({
    id: GHOST_PREFIX + n.id,
    type: "workflow",
    position: place(n.position),
    draggable: false,
    selectable: false,
    connectable: false,
    data: { type: n.type, config: {}, label: n.label || undefined, ghostOf: n.id },
  }));
  const removedIds = new Set(diff.removedNodes.map((n) => n.id));
  const end = (id: string) => (removedIds.has(id) ? GHOST_PREFIX + id : id);
  const ghostEdges: BuilderEdge[] = diff.removedEdges.map((e, i) => ({
    id: `${GHOST_PREFIX}${i}:${e.id}`,
    source: end(e.source),
    target: end(e.target),
    sourceHandle: e.sourceHandle || DEFAULT_HANDLE,
    targetHandle: "in",
    selectable: false,
    focusable: false,
    className: "nf-diff-removed",
    data: { diff: "removed" },
  }));
  return { nodes, edges: edgeMarks, ghostNodes, ghostEdges };
}

/** Turns a JSON pointer of a diff field into words: "/config/variants/1/weight" → "variants › 1 › weight". */
export function fieldLabel(path: string): string {
  const parts = path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (parts[0] === "config") parts.shift();
  return parts.join(" › ") || "config";
}
