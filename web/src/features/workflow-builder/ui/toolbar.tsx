"use client";
import { memo } from "react";
import Link from "next/link";
import { useReactFlow } from "@xyflow/react";
import { AlertTriangle, ArrowLeft, Check, CircleDot, CloudOff, FlaskConical, GitCompareArrows, Loader2, Network, Play, Redo2, Rocket, Undo2, Activity, ChartColumn } from "lucide-react";
import type { Workflow } from "@/shared/api";
import { WorkflowStatusBadge } from "@/entities/workflow";
import { routes } from "@/shared/config";
import { Button, Switch } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import { useWorkflowDiff, type WorkflowDiff } from "../model/diff";
import { outputHandles } from "@/entities/workflow";

/** The layout code (dagre) is loaded on first use, not with the builder. */
const loadLayout = () => import("../lib/layout");

function SaveIndicator() {
  const status = useBuilder((s) => s.saveStatus);
  const err = useBuilder((s) => s.saveError);
  const map = {
    idle: { Icon: Check, text: "All changes saved", cls: "text-slate-400" },
    saved: { Icon: Check, text: "Saved", cls: "text-slate-500" },
    dirty: { Icon: CircleDot, text: "Unsaved changes", cls: "text-slate-500" },
    saving: { Icon: Loader2, text: "Saving…", cls: "text-slate-500" },
    error: { Icon: CloudOff, text: "Not saved", cls: "text-red-600" },
    offline: { Icon: CloudOff, text: "Offline · kept here", cls: "text-amber-700" },
    conflict: { Icon: AlertTriangle, text: "Conflict", cls: "text-amber-700" },
  } as const;
  const m = map[status];
  return (
    <span className={`inline-flex w-36 shrink-0 items-center gap-1.5 text-xs whitespace-nowrap ${m.cls}`} title={err ?? undefined} data-testid="save-status" data-status={status} role="status">
      <m.Icon className={`size-3.5 ${status === "saving" ? "animate-spin" : ""}`} aria-hidden />
      {m.text}
    </span>
  );
}

/** "3 steps and 2 connections differ": the size of a diff in words. */
export function diffSummary(d: WorkflowDiff): string {
  const steps = d.addedNodes.length + d.removedNodes.length + d.changedNodes.length;
  const conns = d.addedEdges.length + d.removedEdges.length;
  const part = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
  return [steps && part(steps, "step"), conns && part(conns, "connection")].filter(Boolean).join(" and ") || "nothing";
}

/**
 * Whether the draft differs from the live version, said plainly: "Not
 * published" is the status badge's "Draft"; then "Unpublished changes" (a
 * click opens the diff view) or "Live is up to date". While an edit is not saved yet the last answer stays.
 */
function PublishState({ workflow, onCompare }: { workflow: Workflow; onCompare: () => void }) {
  const revision = useBuilder((s) => s.revision);
  const live = workflow.currentVersion > 0;
  const diff = useWorkflowDiff(workflow.id, "live", revision, live);
  // Never published: the status badge already says "Draft".
  if (!live) return null;
  if (!diff.data) return null;
  if (diff.data.changed) {
    return (
      <button
        type="button"
        onClick={onCompare}
        className="inline-flex items-center gap-1.5 rounded-full bg-amber-100 px-2.5 py-0.5 text-[11px] font-semibold whitespace-nowrap text-amber-800 hover:bg-amber-200"
        title={`${diffSummary(diff.data)} differ from live version ${workflow.currentVersion}. Click to see what changed.`}
        data-testid="publish-state"
        data-state="changed"
      >
        <span className="size-1.5 rounded-full bg-amber-500" aria-hidden />
        Unpublished changes
      </button>
    );
  }
  return (
    <span className="inline-flex items-center gap-1 text-[11px] font-medium whitespace-nowrap text-emerald-700" data-testid="publish-state" data-state="live" title={`The draft is the same as live version ${workflow.currentVersion}.`}>
      <Check className="size-3.5" aria-hidden /> Live is up to date
    </span>
  );
}

/** Lays the graph out with dagre as one undoable step, then frames it (dagre is fetched when the button is first pointed at). */
function TidyButton() {
  const store = useBuilderStore();
  const { fitView } = useReactFlow();
  const count = useBuilder((s) => s.nodes.length);
  return (
    <Button
      variant="ghost"
      size="sm"
      icon={<Network className="size-3.5" />}
      disabled={count < 2}
      title="Tidy up: lay the journey out top to bottom (Ctrl+Z undoes it)"
      aria-label="Tidy up"
      data-testid="tidy-up"
      onPointerEnter={() => void loadLayout()}
      onFocus={() => void loadLayout()}
      onClick={async () => {
        const { tidyLayout } = await loadLayout();
        const { nodes, edges, nodeTypes } = store.getState();
        const rank = new Map<string, number>();
        for (const n of nodes) outputHandles(nodeTypes[n.data.type], n.data.config).forEach((h, i) => rank.set(`${n.id}\u0000${h.id}`, i));
        const positions = tidyLayout(
          nodes.map((n) => ({ id: n.id, position: n.position, width: n.measured?.width, height: n.measured?.height })),
          edges.map((e) => ({ source: e.source, target: e.target, order: rank.get(`${e.source}\u0000${e.sourceHandle || "out"}`) ?? 0 })),
        );
        store.getState().applyLayout(positions);
        setTimeout(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 250 }), 30);
      }}
    >
      <span className="hidden md:inline">Tidy up</span>
    </Button>
  );
}

export interface ToolbarProps {
  workflow: Workflow;
  publishing: boolean;
  toggling: boolean;
  overlay: boolean;
  onOverlay: (v: boolean) => void;
  onPublish: () => void;
  onToggleActive: (active: boolean) => void;
  onRun: () => void;
  /** Opens the test run of the draft (optional). */
  onTest?: () => void;
  /** Opens (or closes) the diff view against the live version. */
  onCompare: () => void;
  readOnly?: boolean;
}

/** The builder's top bar: name, save state, undo/redo, overlay, publish, activate, run. */
export const Toolbar = memo(function Toolbar({ workflow, publishing, toggling, overlay, onOverlay, onPublish, onToggleActive, onRun, onTest, onCompare, readOnly = false }: ToolbarProps) {
  const store = useBuilderStore();
  const name = useBuilder((s) => s.name);
  const canUndo = useBuilder((s) => s.past.length > 0);
  const canRedo = useBuilder((s) => s.future.length > 0);
  const problemCount = useBuilder((s) => s.problems.length);
  const comparing = useBuilder((s) => s.compare !== null);
  const revision = useBuilder((s) => s.revision);
  const settled = useBuilder((s) => s.saveStatus === "idle" || s.saveStatus === "saved");
  const live = useWorkflowDiff(workflow.id, "live", revision, workflow.currentVersion > 0);
  // Nothing to publish: the saved draft is the live version (an unsaved edit may change that, so wait for the save).
  const unchanged = workflow.currentVersion > 0 && settled && live.data?.changed === false;
  return (
    <div className="flex h-12 shrink-0 items-center gap-2 overflow-x-auto border-b border-slate-200 bg-white px-3">
      <Link href={routes.workflows} aria-label="Back to workflows" className="rounded p-1.5 text-slate-500 hover:bg-slate-100">
        <ArrowLeft className="size-4" />
      </Link>
      <label className="sr-only" htmlFor="wf-name">
        Workflow name
      </label>
      <input
        id="wf-name"
        value={name}
        onChange={(e) => store.getState().setName(e.target.value)}
        readOnly={readOnly}
        className="h-8 w-64 min-w-24 shrink rounded-md border border-transparent px-2 text-sm font-semibold text-slate-900 hover:border-slate-200 focus:border-brand-500 focus:ring-2 focus:ring-brand-500/20 focus:outline-none"
        data-testid="workflow-name"
      />
      <WorkflowStatusBadge isActive={workflow.isActive} currentVersion={workflow.currentVersion} />
      {readOnly ? <span className="text-xs text-slate-500">View only</span> : <SaveIndicator />}
      <PublishState workflow={workflow} onCompare={onCompare} />
      <div className="ml-auto flex shrink-0 items-center gap-1.5">
        {!readOnly && (
          <>
        <Button variant="ghost" size="sm" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => store.getState().undo()} data-testid="undo">
          <Undo2 className="size-4" />
        </Button>
        <Button variant="ghost" size="sm" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => store.getState().redo()} data-testid="redo">
          <Redo2 className="size-4" />
        </Button>
        <span className="mx-1 h-5 w-px bg-slate-200" aria-hidden />
        <TidyButton />
          </>
        )}
        <Button
          variant={comparing ? "secondary" : "ghost"}
          size="sm"
          aria-pressed={comparing}
          icon={<GitCompareArrows className="size-3.5" />}
          onClick={onCompare}
          disabled={workflow.currentVersion === 0 && !comparing}
          title={workflow.currentVersion === 0 ? "Publish first: then compare the draft with any version" : "Show what differs between the draft and a published version"}
          aria-label={comparing ? "Close compare" : "Compare"}
          data-testid="compare"
        >
          <span className={comparing ? undefined : "hidden md:inline"}>{comparing ? "Close compare" : "Compare"}</span>
        </Button>
        <Button
          variant={overlay ? "secondary" : "ghost"}
          size="sm"
          aria-pressed={overlay}
          icon={<Activity className="size-3.5" />}
          onClick={() => onOverlay(!overlay)}
          title="Show how many executions passed through each step"
          aria-label="Stats"
          data-testid="toggle-overlay"
        >
          <span className="hidden md:inline">Stats</span>
        </Button>
        <Link
          href={routes.workflowAnalytics(workflow.id)}
          title="Funnel, goal conversion and A/B split results of this workflow"
          aria-label="Analytics"
          className="inline-flex h-7 shrink-0 items-center gap-1.5 rounded-md border border-transparent px-2.5 text-xs font-medium whitespace-nowrap text-slate-700 hover:bg-slate-100"
          data-testid="open-analytics"
        >
          <ChartColumn className="size-3.5" aria-hidden />
          <span className="hidden md:inline">Analytics</span>
        </Link>
        {!readOnly && (
          <>
        <label className="flex items-center gap-2 px-1 text-xs font-medium text-slate-600">
          <Switch
            checked={workflow.isActive}
            disabled={toggling || (workflow.currentVersion === 0 && !workflow.isActive)}
            onChange={onToggleActive}
            label={workflow.isActive ? "Deactivate workflow" : "Activate workflow"}
            data-testid="activate-toggle"
          />
          Active
        </label>
        {onTest && (
          <Button size="sm" icon={<FlaskConical className="size-3.5" />} onClick={onTest} title="Run the draft once as a test, without publishing" data-testid="test-run">
            Test
          </Button>
        )}
        <Button size="sm" icon={<Play className="size-3.5" />} onClick={onRun} disabled={workflow.currentVersion === 0} title={workflow.currentVersion === 0 ? "Publish first" : "Start an execution"} data-testid="run-now">
          Run now
        </Button>
        <Button
          size="sm"
          variant="primary"
          icon={<Rocket className="size-3.5" />}
          loading={publishing}
          onClick={onPublish}
          disabled={unchanged || comparing}
          title={
            unchanged
              ? `Nothing to publish: the draft is the same as live version ${workflow.currentVersion}`
              : problemCount > 0
                ? `${problemCount} problem(s) to fix first`
                : "Publish the draft as a new version"
          }
          data-testid="publish"
        >
          Publish
        </Button>
          </>
        )}
      </div>
    </div>
  );
});
