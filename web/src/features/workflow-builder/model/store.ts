import { create } from "zustand";
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from "@xyflow/react";
import type { NodeStats, NodeType, ValidationProblem, Workflow } from "@/shared/api";
import { DEFAULT_HANDLE, indexProblems, outputHandles, sameHandle, type ProblemIndex } from "@/entities/workflow";
import { checkConnection, type ConnectionVerdict } from "./connection";
import { fromDefinition, nextNodeId, toDefinition } from "./definition";
import type { DiffMark, DiffSide } from "./diff";
import { clipOf, downstream, nextEdgeId, pasteClip, STEP_GAP_Y, type Clip } from "./editing";
import type { BuilderEdge, BuilderNode, Snapshot } from "./types";

/** How far a paste or duplicate moves the copy from the original. */
const PASTE_OFFSET = 40;

const HISTORY_LIMIT = 100;
const COALESCE_MS = 1000;

/** Where a step is about to be added: the picker's place on screen and what the step connects to. */
export interface InsertRequest {
  x: number;
  y: number;
  title: string;
  position: XYPosition;
  from?: { source: string; sourceHandle: string | null };
  spliceEdge?: string;
}

/** "offline": the server could not be reached; the edits are kept and saved by themselves once it answers again. */
export type SaveStatus = "idle" | "dirty" | "saving" | "saved" | "error" | "offline" | "conflict";

export interface BuilderState {
  workflowId: string | null;
  name: string;
  description: string;
  revision: number;
  nodes: BuilderNode[];
  edges: BuilderEdge[];
  nodeTypes: Record<string, NodeType>;
  past: Snapshot[];
  future: Snapshot[];
  /** Bumped on every change that must be saved. */
  changeSeq: number;
  /** The changeSeq the server has. */
  savedSeq: number;
  saveStatus: SaveStatus;
  saveError: string | null;
  problems: ValidationProblem[];
  problemIndex: ProblemIndex;
  stats: Record<string, NodeStats>;
  lastRejection: string | null;
  /** Steps copied with Ctrl+C (kept for this builder only). */
  clipboard: Clip | null;
  /** Pastes since the last copy: each one lands a little further away. */
  pasteCount: number;
  /** The side the draft is compared with in the diff view; null when the view is closed. */
  compare: DiffSide | null;
  /** Diff marks of the draft's nodes while the diff view is open. */
  diffMarks: Map<string, DiffMark> | null;
  /** The open "add a step here" picker, if any. */
  insertRequest: InsertRequest | null;
  /** The edge under the pointer (its "+" shows). */
  hoverEdge: string | null;
  /** The canvas only shows (a viewer, or the diff view). */
  readOnly: boolean;

  load: (wf: Workflow, nodeTypes: NodeType[]) => void;
  setNodeTypes: (types: NodeType[]) => void;
  onNodesChange: (changes: NodeChange<BuilderNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<BuilderEdge>[]) => void;
  connect: (c: Connection) => ConnectionVerdict;
  canConnect: (c: Pick<Connection, "source" | "target" | "sourceHandle">) => boolean;
  addNode: (type: string, position: XYPosition) => string;
  updateConfig: (nodeId: string, config: Record<string, unknown>) => void;
  updateLabel: (nodeId: string, label: string) => void;
  setName: (name: string) => void;
  select: (nodeId: string | null) => void;
  deleteSelection: () => void;
  undo: () => void;
  redo: () => void;
  setProblems: (p: ValidationProblem[] | null | undefined) => void;
  setStats: (s: Record<string, NodeStats> | null | undefined) => void;
  /** Copies the selected steps and the edges between them; returns how many steps. */
  copySelection: () => number;
  /** Pastes the copied steps (at a flow position, or next to the originals); returns the new ids. */
  pasteClipboard: (at?: XYPosition) => string[];
  /** Copies and pastes the selection in one step; returns the new ids. */
  duplicateSelection: () => string[];
  /**
   * Adds a step connected in one undoable step: from an output handle (when
   * that handle already leads somewhere the step is put in between), or
   * spliced into an edge. Steps below an insertion move down to make room.
   */
  insertStep: (type: string, at: { position: XYPosition; from?: { source: string; sourceHandle: string | null }; spliceEdge?: string }) => string | null;
  /** Moves nodes to new positions as one undoable step (tidy up). */
  applyLayout: (positions: Record<string, XYPosition>) => void;
  setCompare: (side: DiffSide | null) => void;
  openInsert: (r: InsertRequest | null) => void;
  setDiffMarks: (m: Map<string, DiffMark> | null) => void;
  setReadOnly: (v: boolean) => void;
  setHoverEdge: (id: string | null) => void;
  markSaving: () => void;
  markSaved: (revision: number, seq: number) => void;
  markSaveError: (status: "error" | "offline" | "conflict", message: string) => void;
  definition: () => ReturnType<typeof toDefinition>;
}

// Internal, non-reactive bookkeeping for coalescing history entries.
interface Meta {
  lastKey: string | null;
  lastAt: number;
  dragging: boolean;
}

/** createBuilderStore makes an independent editor store (one per open builder; tests make their own). */
export function createBuilderStore() {
  const meta: Meta = { lastKey: null, lastAt: 0, dragging: false };

  return create<BuilderState>()((set, get) => {
    /** Records the current graph for undo before a change; `key` merges quick repeats (typing, dragging). */
    const remember = (key: string | null = null) => {
      const now = Date.now();
      if (key && meta.lastKey === key && now - meta.lastAt < COALESCE_MS) {
        meta.lastAt = now;
        return;
      }
      meta.lastKey = key;
      meta.lastAt = now;
      const { nodes, edges, past } = get();
      const next = [...past, { nodes, edges }];
      set({ past: next.length > HISTORY_LIMIT ? next.slice(-HISTORY_LIMIT) : next, future: [] });
    };
    const changed = () => set((s) => ({ changeSeq: s.changeSeq + 1, saveStatus: s.saveStatus === "conflict" ? "conflict" : "dirty" }));
    /** Drops edges whose source handle no longer exists (e.g. a removed split variant). */
    const pruneEdges = (nodes: BuilderNode[], edges: BuilderEdge[], types: Record<string, NodeType>) => {
      const byId = new Map(nodes.map((n) => [n.id, n]));
      return edges.filter((e) => {
        const src = byId.get(e.source);
        if (!src || !byId.has(e.target)) return false;
        const t = types[src.data.type];
        if (!t) return true;
        return outputHandles(t, src.data.config).some((h) => sameHandle(h.id, e.sourceHandle));
      });
    };

    return {
      workflowId: null,
      name: "",
      description: "",
      revision: 0,
      nodes: [],
      edges: [],
      nodeTypes: {},
      past: [],
      future: [],
      changeSeq: 0,
      savedSeq: 0,
      saveStatus: "idle",
      saveError: null,
      problems: [],
      problemIndex: indexProblems([]),
      stats: {},
      lastRejection: null,
      clipboard: null,
      pasteCount: 0,
      compare: null,
      insertRequest: null,
      diffMarks: null,
      hoverEdge: null,
      readOnly: false,

      load: (wf, types) => {
        const { nodes, edges } = fromDefinition(wf.definition);
        meta.lastKey = null;
        set({
          workflowId: wf.id,
          name: wf.name,
          description: wf.description ?? "",
          revision: wf.revision,
          nodes,
          edges,
          nodeTypes: Object.fromEntries(types.map((t) => [t.type, t])),
          past: [],
          future: [],
          changeSeq: 0,
          savedSeq: 0,
          saveStatus: "idle",
          saveError: null,
          problems: [],
          problemIndex: indexProblems([]),
          lastRejection: null,
          compare: null,
          insertRequest: null,
        });
      },
      setNodeTypes: (types) => set({ nodeTypes: Object.fromEntries(types.map((t) => [t.type, t])) }),

      onNodesChange: (changes) => {
        let graph = false;
        let removes = false;
        for (const c of changes) {
          if (c.type === "position") {
            if (c.dragging && !meta.dragging) {
              remember(null);
              meta.dragging = true;
            }
            if (!c.dragging && meta.dragging) {
              meta.dragging = false;
              graph = true;
            }
            if (c.dragging === undefined && c.position) graph = true;
          } else if (c.type === "remove") removes = true;
          else if (c.type === "add" || c.type === "replace") graph = true;
        }
        if (removes) {
          // Deletion goes through deleteSelection so it is one undo step with its edges.
          return;
        }
        set((s) => ({ nodes: applyNodeChanges(changes, s.nodes) }));
        if (graph) changed();
      },
      onEdgesChange: (changes) => {
        const relevant = changes.filter((c) => c.type !== "remove");
        if (relevant.length) set((s) => ({ edges: applyEdgeChanges(relevant, s.edges) }));
      },
      canConnect: (c) => checkConnection(c, get().nodes, get().edges, get().nodeTypes).ok,
      connect: (c) => {
        const { nodes, edges, nodeTypes } = get();
        const verdict = checkConnection(c, nodes, edges, nodeTypes);
        if (!verdict.ok) {
          set({ lastRejection: verdict.reason });
          return verdict;
        }
        remember(null);
        const handle = c.sourceHandle || DEFAULT_HANDLE;
        const taken = new Set(edges.map((e) => e.id));
        let n = edges.length + 1;
        while (taken.has(`e${n}`)) n++;
        // One edge per output handle: a new connection from a used handle replaces the old one.
        const kept = edges.filter((e) => !(e.source === c.source && sameHandle(e.sourceHandle, handle)));
        set({
          edges: [...kept, { id: `e${n}`, source: c.source, target: c.target, sourceHandle: handle, targetHandle: "in" }],
          lastRejection: null,
        });
        changed();
        return verdict;
      },
      addNode: (type, position) => {
        remember(null);
        const { nodes, nodeTypes } = get();
        const id = nextNodeId(type, new Set(nodes.map((n) => n.id)));
        const defaults = defaultConfig(nodeTypes[type]);
        const node: BuilderNode = {
          id,
          type: "workflow",
          position,
          data: { type, config: defaults },
          selected: true,
        };
        set({ nodes: [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] });
        changed();
        return id;
      },
      updateConfig: (nodeId, config) => {
        remember(`config:${nodeId}`);
        const { nodes, edges, nodeTypes } = get();
        const next = nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, config } } : n));
        set({ nodes: next, edges: pruneEdges(next, edges, nodeTypes) });
        changed();
      },
      updateLabel: (nodeId, label) => {
        remember(`label:${nodeId}`);
        set((s) => ({ nodes: s.nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, label: label || undefined } } : n)) }));
        changed();
      },
      setName: (name) => {
        set({ name });
        changed();
      },
      select: (nodeId) =>
        set((s) => ({
          nodes: s.nodes.map((n) => {
            const want = n.id === nodeId;
            return !!n.selected === want ? n : { ...n, selected: want };
          }),
          edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
        })),
      deleteSelection: () => {
        const { nodes, edges } = get();
        const goneNodes = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
        const keepEdges = edges.filter((e) => !e.selected && !goneNodes.has(e.source) && !goneNodes.has(e.target));
        if (goneNodes.size === 0 && keepEdges.length === edges.length) return;
        remember(null);
        set({ nodes: nodes.filter((n) => !goneNodes.has(n.id)), edges: keepEdges });
        changed();
      },
      undo: () => {
        const { past, future, nodes, edges } = get();
        const prev = past[past.length - 1];
        if (!prev) return;
        meta.lastKey = null;
        set({ nodes: prev.nodes, edges: prev.edges, past: past.slice(0, -1), future: [{ nodes, edges }, ...future] });
        changed();
      },
      redo: () => {
        const { past, future, nodes, edges } = get();
        const next = future[0];
        if (!next) return;
        meta.lastKey = null;
        set({ nodes: next.nodes, edges: next.edges, past: [...past, { nodes, edges }], future: future.slice(1) });
        changed();
      },
      setProblems: (p) => {
        const problems = p ?? [];
        const problemIndex = indexProblems(problems);
        set((s) => ({
          problems,
          problemIndex,
          edges: s.edges.map((e) => {
            const bad = problemIndex.byEdge.has(e.id);
            const cls = bad ? "nf-problem" : undefined;
            return e.className === cls ? e : { ...e, className: cls };
          }),
        }));
      },
      setStats: (st) => set({ stats: st ?? {} }),
      copySelection: () => {
        const clip = clipOf(get().nodes, get().edges);
        if (!clip) return 0;
        set({ clipboard: clip, pasteCount: 0 });
        return clip.nodes.length;
      },
      pasteClipboard: (at) => {
        const { clipboard, nodes, edges, pasteCount } = get();
        if (!clipboard) return [];
        remember(null);
        const n = pasteCount + 1;
        const out = pasteClip(clipboard, nodes, edges, at ? { at } : { offset: { x: PASTE_OFFSET * n, y: PASTE_OFFSET * n } });
        set({ nodes: out.nodes, edges: out.edges, pasteCount: n });
        changed();
        return out.ids;
      },
      duplicateSelection: () => {
        const clip = clipOf(get().nodes, get().edges);
        if (!clip) return [];
        remember(null);
        const out = pasteClip(clip, get().nodes, get().edges, { offset: { x: PASTE_OFFSET, y: PASTE_OFFSET } });
        set({ nodes: out.nodes, edges: out.edges });
        changed();
        return out.ids;
      },
      insertStep: (type, at) => {
        const { nodes, edges, nodeTypes } = get();
        const nt = nodeTypes[type];
        if (!nt) return null;
        let from = at.from;
        let next: string | null = null;
        let dropped: string | null = null;
        if (at.spliceEdge) {
          const e = edges.find((x) => x.id === at.spliceEdge);
          if (!e) return null;
          from = { source: e.source, sourceHandle: e.sourceHandle ?? DEFAULT_HANDLE };
          next = e.target;
          dropped = e.id;
        } else if (from) {
          // One edge per output handle: a step added on a used handle goes in between.
          const e = edges.find((x) => x.source === from!.source && sameHandle(x.sourceHandle, from!.sourceHandle));
          if (e) {
            next = e.target;
            dropped = e.id;
          }
        }
        remember(null);
        const id = nextNodeId(type, new Set(nodes.map((n) => n.id)));
        const node: BuilderNode = { id, type: "workflow", position: at.position, data: { type, config: defaultConfig(nt) }, selected: true };
        // Make room: what came after the insertion point moves down by one step.
        const below = next ? downstream(next, edges) : new Set<string>();
        let moved = nodes.map((n) => {
          const m = below.has(n.id) && n.position.y >= at.position.y - STEP_GAP_Y / 2 ? { ...n, position: { x: n.position.x, y: n.position.y + STEP_GAP_Y } } : n;
          return m.selected ? { ...m, selected: false } : m;
        });
        moved = [...moved, node];
        const taken = new Set(edges.map((e) => e.id));
        let nextEdges = edges.filter((e) => e.id !== dropped);
        if (from) {
          const v = checkConnection({ source: from.source, sourceHandle: from.sourceHandle, target: id }, moved, nextEdges, nodeTypes);
          if (v.ok) nextEdges = [...nextEdges, { id: nextEdgeId(taken), source: from.source, sourceHandle: from.sourceHandle || DEFAULT_HANDLE, target: id, targetHandle: "in" }];
          else set({ lastRejection: v.reason });
        }
        if (next) {
          const out = outputHandles(nt, node.data.config).find((h) => h.id !== "error");
          if (out) nextEdges = [...nextEdges, { id: nextEdgeId(taken), source: id, sourceHandle: out.id, target: next, targetHandle: "in" }];
        }
        set({ nodes: moved, edges: nextEdges });
        changed();
        return id;
      },
      applyLayout: (positions) => {
        const { nodes } = get();
        if (!nodes.some((n) => positions[n.id] && (positions[n.id]!.x !== n.position.x || positions[n.id]!.y !== n.position.y))) return;
        remember(null);
        set({ nodes: nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id]! } : n)) });
        changed();
      },
      setCompare: (side) => set({ compare: side, insertRequest: null }),
      openInsert: (r) => set({ insertRequest: r }),
      setDiffMarks: (m) => set({ diffMarks: m }),
      setReadOnly: (v) => set({ readOnly: v }),
      setHoverEdge: (id) => set({ hoverEdge: id }),
      markSaving: () => set({ saveStatus: "saving", saveError: null }),
      markSaved: (revision, seq) =>
        set((s) => ({ revision, savedSeq: seq, saveStatus: s.changeSeq === seq ? "saved" : "dirty", saveError: null })),
      markSaveError: (status, message) => set({ saveStatus: status, saveError: message }),
      definition: () => toDefinition(get().nodes, get().edges),
    };
  });
}

/** The config a freshly dropped node starts with: the schema's defaults. */
export function defaultConfig(t: NodeType | undefined): Record<string, unknown> {
  const schema = t?.configSchema as { properties?: Record<string, { default?: unknown }> } | undefined;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema?.properties ?? {})) if (p && p.default !== undefined) out[k] = p.default;
  return out;
}

export type BuilderStore = ReturnType<typeof createBuilderStore>;
