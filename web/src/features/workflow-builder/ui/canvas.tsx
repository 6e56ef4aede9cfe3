"use client";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type NodeChange,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import { MousePointerClick } from "lucide-react";
import { useToast } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import { diffOverlay, GHOST_PREFIX, useWorkflowDiff } from "../model/diff";
import type { BuilderNode } from "../model/types";
import { builderNodeTypes } from "./builder-node";
import { NodePicker } from "./node-picker";
import { DND_MIME } from "./palette";
import { builderEdgeTypes } from "./step-edge";

const defaultEdgeOptions = { type: "step", interactionWidth: 16 } as const;
/** The minimap's size: React Flow sizes its SVG from these, so it stays inside its frame. */
const minimapStyle = { width: 168, height: 112 };
const proOptions = { hideAttribution: true };
const fitViewOptions = { padding: 0.2, maxZoom: 1 };

function isEditable(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  return !!t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

function isInside(el: HTMLElement, p: { x: number; y: number }): boolean {
  const r = el.getBoundingClientRect();
  return p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom;
}

/** The canvas: drop palette items, connect handles (only valid connections), select, delete, undo. */
export function Canvas({ onSelect, readOnly: viewOnly = false }: { onSelect: (nodeId: string | null) => void; readOnly?: boolean }) {
  const store = useBuilderStore();
  const draftNodes = useBuilder((s) => s.nodes);
  const storeNodesChange = useBuilder((s) => s.onNodesChange);
  const draftEdges = useBuilder((s) => s.edges);
  const compare = useBuilder((s) => s.compare);
  const workflowId = useBuilder((s) => s.workflowId);
  const revision = useBuilder((s) => s.revision);
  const insertRequest = useBuilder((s) => s.insertRequest);
  const readOnly = viewOnly || compare !== null;
  const diff = useWorkflowDiff(workflowId ?? "", compare ?? "live", revision, !!workflowId && compare !== null);
  const overlay = useMemo(() => (compare !== null && diff.data ? diffOverlay(diff.data, draftEdges, draftNodes) : null), [compare, diff.data, draftEdges, draftNodes]);
  useEffect(() => {
    store.getState().setDiffMarks(overlay?.nodes ?? null);
  }, [overlay, store]);
  // The diff view draws the draft with its marks, plus ghosts of what the draft removed. Ghosts are
  // not in the store: their measured sizes are kept here, or React Flow would keep them hidden.
  const [ghostSizes, setGhostSizes] = useState<Record<string, { width: number; height: number }>>({});
  const nodes = useMemo(
    () => (overlay ? [...draftNodes, ...overlay.ghostNodes.map((g) => (ghostSizes[g.id] ? { ...g, measured: ghostSizes[g.id] } : g))] : draftNodes),
    [overlay, draftNodes, ghostSizes],
  );
  const onNodesChange = useCallback(
    (changes: NodeChange<BuilderNode>[]) => {
      const mine = changes.filter((c) => !("id" in c && c.id.startsWith(GHOST_PREFIX)));
      const sizes = changes.filter((c) => c.type === "dimensions" && c.id.startsWith(GHOST_PREFIX) && c.dimensions);
      if (sizes.length) setGhostSizes((prev) => ({ ...prev, ...Object.fromEntries(sizes.map((c) => [(c as { id: string }).id, (c as { dimensions: { width: number; height: number } }).dimensions])) }));
      if (mine.length) storeNodesChange(mine);
    },
    [storeNodesChange],
  );
  const edges = useMemo(
    () =>
      overlay
        ? [...draftEdges.map((e) => (overlay.edges.has(e.id) ? { ...e, data: { ...e.data, diff: overlay.edges.get(e.id) } } : e)), ...overlay.ghostEdges]
        : draftEdges,
    [overlay, draftEdges],
  );
  const onEdgesChange = useBuilder((s) => s.onEdgesChange);
  const { screenToFlowPosition, fitView } = useReactFlow();
  // Entering the diff view frames everything, ghosts of removed steps included.
  const ghosts = overlay?.ghostNodes.length ?? 0;
  useEffect(() => {
    if (compare === null) return;
    const t = setTimeout(() => void fitView(fitViewOptions), 80);
    return () => clearTimeout(t);
  }, [compare, ghosts, fitView]);
  const toast = useToast();
  const wrapper = useRef<HTMLDivElement>(null);

  const isValidConnection = useCallback(
    (c: Connection | Edge) => store.getState().canConnect({ source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? null }),
    [store],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const v = store.getState().connect(c);
      if (!v.ok) toast(v.reason, "error");
    },
    [store, toast],
  );
  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DND_MIME) || e.dataTransfer.types.includes("text/plain")) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
    }
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(DND_MIME) || e.dataTransfer.getData("text/plain");
      if (!type || !store.getState().nodeTypes[type]) return;
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const id = store.getState().addNode(type, { x: p.x - 120, y: p.y - 24 });
      onSelect(id);
    },
    [screenToFlowPosition, store, onSelect],
  );
  // A connection dropped on empty canvas opens the picker there; the step chosen is connected to it.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || state.toNode || !state.fromNode || state.fromHandle?.type !== "source") return;
      const p = "changedTouches" in event ? event.changedTouches[0]! : event;
      const flow = screenToFlowPosition({ x: p.clientX, y: p.clientY });
      const from = state.fromNode;
      const label = (from.data as { label?: string }).label || from.id;
      store.getState().openInsert({
        x: p.clientX,
        y: p.clientY,
        title: `Add a step after ${label}`,
        position: { x: Math.round((flow.x - 120) / 10) * 10, y: Math.round(flow.y / 10) * 10 },
        from: { source: from.id, sourceHandle: state.fromHandle.id ?? null },
      });
    },
    [screenToFlowPosition, store],
  );
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const onPointerMove = useCallback((e: React.PointerEvent) => {
    pointer.current = { x: e.clientX, y: e.clientY };
  }, []);
  const pickStep = useCallback(
    (type: string) => {
      const r = store.getState().insertRequest;
      if (!r) return;
      store.getState().openInsert(null);
      const id = store.getState().insertStep(type, { position: r.position, from: r.from, spliceEdge: r.spliceEdge });
      if (id) onSelect(id);
    },
    [store, onSelect],
  );
  const closePicker = useCallback(() => store.getState().openInsert(null), [store]);
  const onSelectionChange = useCallback(
    ({ nodes: sel }: OnSelectionChangeParams) => onSelect(sel.length === 1 ? sel[0]!.id : null),
    [onSelect],
  );

  // Keyboard: Delete/Backspace removes the selection; Ctrl/Cmd+Z undoes, +Shift (or Y) redoes.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isEditable(e.target)) return;
      if (readOnly && e.key !== "Escape") return;
      const mod = e.ctrlKey || e.metaKey;
      const s = store.getState();
      const key = e.key.toLowerCase();
      if (mod && key === "c" && !window.getSelection()?.toString()) {
        const n = s.copySelection();
        if (n > 0) toast(`Copied ${n} step${n > 1 ? "s" : ""}. Ctrl+V pastes ${n > 1 ? "them" : "it"}.`, "info");
      } else if (mod && key === "v") {
        if (!s.clipboard) return;
        e.preventDefault();
        const at = pointer.current && wrapper.current && isInside(wrapper.current, pointer.current) ? screenToFlowPosition(pointer.current) : undefined;
        const ids = s.pasteClipboard(at && { x: Math.round(at.x / 10) * 10, y: Math.round(at.y / 10) * 10 });
        onSelect(ids.length === 1 ? ids[0]! : null);
      } else if (mod && key === "d") {
        e.preventDefault();
        const ids = s.duplicateSelection();
        if (ids.length) onSelect(ids.length === 1 ? ids[0]! : null);
      } else if (mod && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (e.key === "Escape") {
        s.select(null);
        onSelect(null);
      } else if (mod && e.key.toLowerCase() === "y") {
        e.preventDefault();
        s.redo();
      } else if ((e.key === "Delete" || e.key === "Backspace") && wrapper.current?.contains(document.activeElement ?? null)) {
        e.preventDefault();
        s.deleteSelection();
      } else if ((e.key === "Delete" || e.key === "Backspace") && document.activeElement === document.body) {
        e.preventDefault();
        s.deleteSelection();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, onSelect, readOnly, toast, screenToFlowPosition]);

  // Frame the graph once when the builder opens; later additions keep the viewport where the user put it.
  useEffect(() => {
    if (store.getState().nodes.length === 0) return;
    const t = setTimeout(() => void fitView(fitViewOptions), 60);
    return () => clearTimeout(t);
  }, [store, fitView]);

  return (
    <div
      ref={wrapper}
      className="relative h-full min-w-0 flex-1"
      data-testid="canvas"
      data-compare={compare ?? undefined}
      onDragOver={readOnly ? undefined : onDragOver}
      onDrop={readOnly ? undefined : onDrop}
      onPointerMove={onPointerMove}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={builderNodeTypes}
        edgeTypes={builderEdgeTypes}
        onConnectEnd={readOnly ? undefined : onConnectEnd}
        onEdgeMouseEnter={(_, e) => store.getState().setHoverEdge(e.id)}
        onEdgeMouseLeave={() => store.getState().setHoverEdge(null)}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onSelectionChange={onSelectionChange}
        defaultEdgeOptions={defaultEdgeOptions}
        deleteKeyCode={null}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        onlyRenderVisibleElements={nodes.length > 60}
        minZoom={0.1}
        maxZoom={2}
        snapToGrid
        snapGrid={[10, 10]}
        proOptions={proOptions}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
        <Controls showInteractive={false} position="bottom-left" />
        <MiniMap pannable zoomable position="bottom-right" style={minimapStyle} className="overflow-hidden rounded-md border border-slate-200" nodeColor="#c7d2fe" data-testid="minimap" />
      </ReactFlow>
      {insertRequest && !readOnly && <NodePicker x={insertRequest.x} y={insertRequest.y} title={insertRequest.title} onPick={pickStep} onClose={closePicker} />}
      {nodes.length === 0 && !readOnly && (
        <div className="pointer-events-none absolute inset-0 grid place-items-center">
          <div className="max-w-xs rounded-lg border border-dashed border-slate-300 bg-white/90 px-6 py-5 text-center shadow-xs">
            <MousePointerClick className="mx-auto mb-2 size-5 text-brand-600" aria-hidden />
            <p className="text-sm font-medium text-slate-800">Start with a trigger</p>
            <p className="mt-1 text-xs text-slate-500">
              Drag a trigger from the left onto the canvas, then add steps and connect them from the dots at the bottom of each step.
            </p>
          </div>
        </div>
      )}
    </div>
  );
}
