"use client";
import { memo } from "react";
import Link from "next/link";
import { AlertTriangle, ArrowLeft, Check, CircleDot, CloudOff, Loader2, Play, Redo2, Rocket, Undo2, Activity } from "lucide-react";
import type { Workflow } from "@/shared/api";
import { WorkflowStatusBadge } from "@/entities/workflow";
import { routes } from "@/shared/config";
import { Button, Switch } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";

function SaveIndicator() {
  const status = useBuilder((s) => s.saveStatus);
  const err = useBuilder((s) => s.saveError);
  const map = {
    idle: { Icon: Check, text: "All changes saved", cls: "text-slate-400" },
    saved: { Icon: Check, text: "Saved", cls: "text-slate-500" },
    dirty: { Icon: CircleDot, text: "Unsaved changes", cls: "text-slate-500" },
    saving: { Icon: Loader2, text: "Saving…", cls: "text-slate-500" },
    error: { Icon: CloudOff, text: "Not saved", cls: "text-red-600" },
    conflict: { Icon: AlertTriangle, text: "Conflict", cls: "text-amber-700" },
  } as const;
  const m = map[status];
  return (
    <span className={`inline-flex w-36 items-center gap-1.5 text-xs ${m.cls}`} title={err ?? undefined} data-testid="save-status" data-status={status} role="status">
      <m.Icon className={`size-3.5 ${status === "saving" ? "animate-spin" : ""}`} aria-hidden />
      {m.text}
    </span>
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
  readOnly?: boolean;
}

/** The builder's top bar: name, save state, undo/redo, overlay, publish, activate, run. */
export const Toolbar = memo(function Toolbar({ workflow, publishing, toggling, overlay, onOverlay, onPublish, onToggleActive, onRun, readOnly = false }: ToolbarProps) {
  const store = useBuilderStore();
  const name = useBuilder((s) => s.name);
  const canUndo = useBuilder((s) => s.past.length > 0);
  const canRedo = useBuilder((s) => s.future.length > 0);
  const problemCount = useBuilder((s) => s.problems.length);
  return (
    <div className="flex h-12 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-3">
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
        className="h-8 w-64 min-w-0 rounded-md border border-transparent px-2 text-sm font-semibold text-slate-900 hover:border-slate-200 focus:border-brand-500 focus:ring-2 focus:ring-brand-500/20 focus:outline-none"
        data-testid="workflow-name"
      />
      <WorkflowStatusBadge isActive={workflow.isActive} currentVersion={workflow.currentVersion} />
      {readOnly ? <span className="text-xs text-slate-500">View only</span> : <SaveIndicator />}
      <div className="ml-auto flex items-center gap-1.5">
        {!readOnly && (
          <>
        <Button variant="ghost" size="sm" aria-label="Undo (Ctrl+Z)" title="Undo (Ctrl+Z)" disabled={!canUndo} onClick={() => store.getState().undo()} data-testid="undo">
          <Undo2 className="size-4" />
        </Button>
        <Button variant="ghost" size="sm" aria-label="Redo (Ctrl+Shift+Z)" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={() => store.getState().redo()} data-testid="redo">
          <Redo2 className="size-4" />
        </Button>
        <span className="mx-1 h-5 w-px bg-slate-200" aria-hidden />
          </>
        )}
        <Button
          variant={overlay ? "secondary" : "ghost"}
          size="sm"
          aria-pressed={overlay}
          icon={<Activity className="size-3.5" />}
          onClick={() => onOverlay(!overlay)}
          title="Show how many executions passed through each step"
          data-testid="toggle-overlay"
        >
          Stats
        </Button>
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
        <Button size="sm" icon={<Play className="size-3.5" />} onClick={onRun} disabled={workflow.currentVersion === 0} title={workflow.currentVersion === 0 ? "Publish first" : "Start an execution"} data-testid="run-now">
          Run now
        </Button>
        <Button
          size="sm"
          variant="primary"
          icon={<Rocket className="size-3.5" />}
          loading={publishing}
          onClick={onPublish}
          title={problemCount > 0 ? `${problemCount} problem(s) to fix first` : "Publish the draft as a new version"}
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
