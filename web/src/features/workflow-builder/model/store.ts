import { create } from "zustand";
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange, type XYPosition } from "@xyflow/react";
import type { NodeStats, NodeType, ValidationProblem, Workflow } from "@/shared/api";
import { DEFAULT_HANDLE, indexProblems, outputHandles, sameHandle, type ProblemIndex } from "@/entities/workflow";
import { checkConnection, type ConnectionVerdict } from "./connection";
import { fromDefinition, nextNodeId, toDefinition } from "./definition";
import type { BuilderEdge, BuilderNode, Snapshot } from "./types";

const HISTORY_LIMIT = 100;
const COALESCE_MS = 1000;

export type SaveStatus = "idle" | "dirty" | "saving" | "saved" | "error" | "conflict";

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
  markSaving: () => void;
  markSaved: (revision: number, seq: number) => void;
  markSaveError: (status: "error" | "conflict", message: string) => void;
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
