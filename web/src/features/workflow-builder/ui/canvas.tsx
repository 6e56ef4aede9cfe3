"use client";
import { useCallback, useEffect, useRef, type DragEvent } from "react";
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import { MousePointerClick } from "lucide-react";
import { useToast } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import { builderNodeTypes } from "./builder-node";
import { DND_MIME } from "./palette";

const defaultEdgeOptions = { type: "smoothstep", interactionWidth: 16 } as const;
const proOptions = { hideAttribution: true };
const fitViewOptions = { padding: 0.2, maxZoom: 1 };

function isEditable(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  return !!t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

/** The canvas: drop palette items, connect handles (only valid connections), select, delete, undo. */
export function Canvas({ onSelect, readOnly = false }: { onSelect: (nodeId: string | null) => void; readOnly?: boolean }) {
  const store = useBuilderStore();
  const nodes = useBuilder((s) => s.nodes);
  const edges = useBuilder((s) => s.edges);
  const onNodesChange = useBuilder((s) => s.onNodesChange);
  const onEdgesChange = useBuilder((s) => s.onEdgesChange);
  const { screenToFlowPosition, fitView } = useReactFlow();
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
      if (mod && e.key.toLowerCase() === "z") {
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
  }, [store, onSelect, readOnly]);

  // Frame the graph once when the builder opens; later additions keep the viewport where the user put it.
  useEffect(() => {
    if (store.getState().nodes.length === 0) return;
    const t = setTimeout(() => void fitView(fitViewOptions), 60);
    return () => clearTimeout(t);
  }, [store, fitView]);

  return (
    <div ref={wrapper} className="relative h-full min-w-0 flex-1" data-testid="canvas" onDragOver={readOnly ? undefined : onDragOver} onDrop={readOnly ? undefined : onDrop}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={builderNodeTypes}
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
        <MiniMap pannable zoomable position="bottom-right" className="!h-28 !w-40 rounded-md border border-slate-200" nodeColor="#c7d2fe" />
      </ReactFlow>
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
