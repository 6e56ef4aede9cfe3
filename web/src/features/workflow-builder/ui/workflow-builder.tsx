"use client";
import { useCallback, useEffect, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useQueryClient } from "@tanstack/react-query";
import { AlertTriangle, GitCompareArrows, History } from "lucide-react";
import { useCan } from "@/entities/session";
import { outputHandles, sameHandle, useNodeTypes, useWorkflow, useWorkflowVersions, workflowApi } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys, type ValidationProblem, type Workflow } from "@/shared/api";
import { cn, formatRelative } from "@/shared/lib";
import { Button, Dialog, ErrorState, Skeleton, useToast } from "@/shared/ui";
import { useAutosave } from "../model/autosave";
import { BuilderStoreContext, useBuilder } from "../model/context";
import { createBuilderStore, type BuilderStore } from "../model/store";
import { insertable, STEP_GAP_Y } from "../model/editing";
import { Canvas } from "./canvas";
import { DiffPanel } from "./diff-panel";
import { FunnelPanel, useFunnelSync } from "./funnel-overlay";
import { NodePanel } from "./node-panel";
import { Palette } from "./palette";
import { ProblemsList } from "./problems-list";
import { RunDialog } from "./run-dialog";
import { TestRunPanel } from "./test-run-panel";
import { Toolbar } from "./toolbar";

/** The problems a 422 from publish carries in errors[].value. */
function problemsOf(err: unknown): ValidationProblem[] | null {
  if (!isApiError(err) || err.status !== 422) return null;
  const ps = (err.problem.errors ?? [])
    .map((e) => e.value)
    .filter((v): v is ValidationProblem => !!v && typeof v === "object" && "code" in (v as object) && "message" in (v as object));
  return ps.length ? ps : null;
}

function ConflictBanner({ onReload }: { onReload: () => void }) {
  const status = useBuilder((s) => s.saveStatus);
  const def = useBuilder((s) => (s.saveStatus === "conflict" ? s.definition : null));
  const toast = useToast();
  if (status !== "conflict") return null;
  return (
    <div role="alert" className="flex items-center gap-3 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900" data-testid="conflict-banner">
      <AlertTriangle className="size-4 shrink-0" aria-hidden />
      <span className="flex-1">
        Someone else saved this workflow while you were editing. Your latest changes are <strong>not saved</strong> and will not overwrite theirs.
      </span>
      <Button
        size="sm"
        onClick={() => {
          void navigator.clipboard?.writeText(JSON.stringify(def?.(), null, 2));
          toast("Your draft was copied to the clipboard as JSON.", "info");
        }}
      >
        Copy my draft
      </Button>
      <Button size="sm" variant="primary" onClick={onReload} data-testid="conflict-reload">
        Reload their version
      </Button>
    </div>
  );
}

function Overview({
  workflowId,
  onSelect,
  onRestore,
  onCompare,
  readOnly,
}: {
  workflowId: string;
  onSelect: (id: string) => void;
  onRestore: (version: number) => Promise<void>;
  onCompare: (version: number) => void;
  readOnly: boolean;
}) {
  const versions = useWorkflowVersions(workflowId);
  const count = useBuilder((s) => s.problems.length);
  const [confirm, setConfirm] = useState<number | null>(null);
  const [restoring, setRestoring] = useState(false);
  return (
    <div className="flex h-full flex-col" data-testid="overview-panel">
      <div className="border-b border-slate-200 px-4 py-3">
        <h2 className="text-sm font-semibold text-slate-900">Problems {count > 0 && <span className="ml-1 rounded bg-red-100 px-1.5 text-xs text-red-700">{count}</span>}</h2>
        <p className="text-xs text-slate-500">Checked after every change. Select a step to edit it.</p>
      </div>
      <div className="max-h-[50%] overflow-y-auto border-b border-slate-200">
        <ProblemsList onSelect={onSelect} />
      </div>
      <div className="px-4 py-3">
        <h2 className="flex items-center gap-1.5 text-sm font-semibold text-slate-900">
          <History className="size-4 text-slate-400" aria-hidden /> Versions
        </h2>
      </div>
      <div className="flex-1 overflow-y-auto px-4 pb-4">
        {versions.isPending ? (
          <Skeleton className="h-16 w-full" />
        ) : versions.isError ? (
          <p className="text-xs text-slate-500">Versions are unavailable.</p>
        ) : (versions.data ?? []).length === 0 ? (
          <p className="text-xs text-slate-500">Nothing published yet. Publishing freezes the draft as version 1; running executions keep their version.</p>
        ) : (
          <ul className="space-y-1">
            {(versions.data ?? []).map((v) => (
              <li key={v.id} className="group flex items-center justify-between gap-2 text-xs text-slate-600">
                <span className="font-medium">v{v.version}</span>
                <span className="flex-1 text-slate-400">{formatRelative(v.createdAt)}</span>
                <button
                  type="button"
                  onClick={() => onCompare(v.version)}
                  title={`Show what the draft changes compared with version ${v.version}`}
                  className="inline-flex items-center gap-1 rounded px-1.5 py-0.5 font-medium text-slate-600 opacity-0 group-hover:opacity-100 hover:bg-slate-100 focus:opacity-100"
                  data-testid={`compare-version-${v.version}`}
                >
                  <GitCompareArrows className="size-3" aria-hidden /> Compare
                </button>
                <button
                  type="button"
                  hidden={readOnly}
                  onClick={() => setConfirm(v.version)}
                  className="rounded px-1.5 py-0.5 font-medium text-brand-600 opacity-0 group-hover:opacity-100 hover:bg-brand-50 focus:opacity-100"
                >
                  Restore
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <Dialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title={`Restore version ${confirm ?? ""} into the draft?`}
        description="The draft on the canvas is replaced by that version. Published versions and running executions are not affected."
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button
              variant="primary"
              loading={restoring}
              onClick={async () => {
                if (confirm === null) return;
                setRestoring(true);
                try {
                  await onRestore(confirm);
                  setConfirm(null);
                } finally {
                  setRestoring(false);
                }
              }}
            >
              Restore version {confirm}
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-600">Undo history is cleared. Publish again to make it the live version.</p>
      </Dialog>
    </div>
  );
}

function BuilderBody({ store, workflow, readOnly }: { store: BuilderStore; workflow: Workflow; readOnly: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const types = useBuilder((s) => s.nodeTypes);
  const [selected, setSelected] = useState<string | null>(null);
  const [runOpen, setRunOpen] = useState(false);
  const [testOpen, setTestOpen] = useState(false);
  const [publishing, setPublishing] = useState(false);
  const [toggling, setToggling] = useState(false);
  const [overlay, setOverlay] = useState(false);
  const { saveNow, validate } = useAutosave(store, !readOnly);
  const comparing = useBuilder((s) => s.compare !== null);
  const { screenToFlowPosition } = useReactFlow();
  useEffect(() => store.getState().setReadOnly(readOnly), [readOnly, store]);
  /** Opens the diff view against `side` (the draft is saved first, so the server compares what is on screen). */
  const openCompare = useCallback(
    async (side: "live" | number | null) => {
      if (side === null) return store.getState().setCompare(null);
      if (!readOnly) await saveNow();
      setSelected(null);
      store.getState().select(null);
      store.getState().setCompare(side);
    },
    [readOnly, saveNow, store],
  );
  const stats = useFunnelSync(workflow.id, overlay);

  const typeList = Object.values(types);
  const select = useCallback(
    (id: string | null) => {
      setSelected(id);
    },
    [],
  );
  const focusNode = useCallback(
    (id: string) => {
      store.getState().select(id);
      setSelected(id);
    },
    [store],
  );
  /**
   * A click in the palette places the step where the user is looking: below
   * the selected step and connected to its first free output, or else in
   * the middle of the visible canvas.
   */
  const addFromPalette = useCallback(
    (type: string) => {
      const st = store.getState();
      const sel = st.nodes.filter((n) => n.selected);
      const nt = st.nodeTypes[type];
      if (sel.length === 1 && nt && insertable(type, nt.inputs)) {
        const src = sel[0]!;
        const handles = outputHandles(st.nodeTypes[src.data.type], src.data.config).filter((h) => h.id !== "error");
        const free = handles.find((h) => !st.edges.some((e) => e.source === src.id && sameHandle(e.sourceHandle, h.id)));
        if (free) {
          const i = handles.indexOf(free);
          const x = src.position.x + ((i + 1) / (handles.length + 1)) * 240 - 120;
          const id = st.insertStep(type, { position: { x: Math.round(x / 10) * 10, y: src.position.y + STEP_GAP_Y }, from: { source: src.id, sourceHandle: free.id } });
          if (id) setSelected(id);
          return;
        }
      }
      const el = document.querySelector('[data-testid="canvas"]')?.getBoundingClientRect();
      const centre = el ? screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 }) : { x: 0, y: 0 };
      // Several clicks in a row must not stack steps on one spot.
      let p = { x: Math.round((centre.x - 120) / 10) * 10, y: Math.round((centre.y - 30) / 10) * 10 };
      while (st.nodes.some((n) => Math.abs(n.position.x - p.x) < 40 && Math.abs(n.position.y - p.y) < 40)) p = { x: p.x + 30, y: p.y + 30 };
      const id = st.addNode(type, p);
      setSelected(id);
    },
    [store, screenToFlowPosition],
  );
  const setWorkflow = (wf: Workflow) => qc.setQueryData(queryKeys.workflows.detail(wf.id), (old: Workflow | undefined) => ({ ...old, ...wf }));

  const publish = async () => {
    setPublishing(true);
    try {
      if (!(await saveNow())) {
        toast("Save the draft first: it could not be saved.", "error");
        return;
      }
      const v = await workflowApi.publish(workflow.id);
      toast(`Published version ${v.version}.`);
      void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "diff", workflow.id] });
      setWorkflow({ ...workflow, currentVersion: v.version, currentVersionId: v.id } as Workflow);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.versions(workflow.id) });
      void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "list"] });
    } catch (e) {
      const ps = problemsOf(e);
      if (isApiError(e) && e.status === 409) {
        // The draft is the live version: nothing was published, and the toolbar already says so.
        toast(errorMessage(e).replace(/^nothing/, "Nothing"), "info");
        void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "diff", workflow.id] });
      } else if (ps) {
        store.getState().setProblems(ps);
        setSelected(null);
        toast(`Fix ${ps.length} problem${ps.length > 1 ? "s" : ""} before publishing.`, "error");
      } else toast(errorMessage(e), "error");
    } finally {
      setPublishing(false);
    }
  };
  const toggleActive = async (active: boolean) => {
    setToggling(true);
    try {
      const wf = active ? await workflowApi.activate(workflow.id) : await workflowApi.deactivate(workflow.id);
      setWorkflow(wf);
      toast(active ? "Workflow activated: triggers now start executions." : "Workflow deactivated.");
      void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "list"] });
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setToggling(false);
    }
  };
  const reload = async () => {
    const fresh = await workflowApi.get(workflow.id);
    qc.setQueryData(queryKeys.workflows.detail(fresh.id), fresh);
    store.getState().load(fresh, Object.values(store.getState().nodeTypes));
    setSelected(null);
    void validate();
    toast("Reloaded the latest saved version.", "info");
  };
  const restore = async (version: number) => {
    try {
      await saveNow();
      const wf = await workflowApi.restore(workflow.id, version);
      qc.setQueryData(queryKeys.workflows.detail(wf.id), wf);
      store.getState().load(wf, Object.values(store.getState().nodeTypes));
      setSelected(null);
      void validate();
      toast(`Version ${version} restored into the draft.`);
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };
  const selectedExists = useBuilder((s) => (selected ? s.nodes.some((n) => n.id === selected) : false));

  return (
    <div className="flex h-full flex-col">
      <Toolbar
        workflow={workflow}
        publishing={publishing}
        toggling={toggling}
        overlay={overlay}
        onOverlay={setOverlay}
        onPublish={() => void publish()}
        onToggleActive={(v) => void toggleActive(v)}
        onRun={() => setRunOpen(true)}
        onTest={() => setTestOpen(true)}
        onCompare={() => void openCompare(comparing ? null : "live")}
        readOnly={readOnly}
      />
      <ConflictBanner onReload={() => void reload()} />
      {/* Narrow screens: no palette (steps are added with the "+" on the canvas) and the inspector only over the canvas for a selected step. */}
      <div className="relative flex min-h-0 flex-1">
        {!readOnly && !comparing && (
          <div className="hidden md:flex">
            <Palette types={typeList} onAdd={addFromPalette} />
          </div>
        )}
        <div className="relative flex min-w-0 flex-1">
          <Canvas onSelect={select} readOnly={readOnly} />
          {overlay && !comparing && <FunnelPanel workflowId={workflow.id} loading={stats.isFetching} error={stats.isError} onClose={() => setOverlay(false)} />}
        </div>
        <aside
          aria-label="Inspector"
          className={cn(
            "shrink-0 border-l border-slate-200 bg-white md:static md:block md:w-72 md:shadow-none",
            comparing || (selected && selectedExists) ? "absolute inset-y-0 right-0 z-20 w-[min(20rem,100%)] overflow-y-auto shadow-xl" : "hidden",
          )}
        >
          {comparing ? (
            <DiffPanel workflowId={workflow.id} liveVersion={workflow.currentVersion} />
          ) : selected && selectedExists ? (
            <NodePanel nodeId={selected} readOnly={readOnly} onClose={() => (store.getState().select(null), setSelected(null))} />
          ) : (
            <Overview workflowId={workflow.id} onSelect={focusNode} onRestore={restore} onCompare={(v) => void openCompare(v)} readOnly={readOnly} />
          )}
        </aside>
      </div>
      <RunDialog workflowId={workflow.id} open={runOpen} onClose={() => setRunOpen(false)} beforeRun={saveNow} />
      {!readOnly && <TestRunPanel workflowId={workflow.id} open={testOpen} onClose={() => setTestOpen(false)} beforeRun={saveNow} />}
    </div>
  );
}

/** The workflow builder for one workflow: palette, canvas, inspector, autosave, publish, run. */
export function WorkflowBuilder({ workflowId }: { workflowId: string }) {
  const wf = useWorkflow(workflowId);
  const types = useNodeTypes();
  const [store] = useState(() => createBuilderStore());
  const canWrite = useCan("workflows:write");
  const loadedId = store((s) => s.workflowId);
  const fetched = !!wf.data && !!types.data;
  useEffect(() => {
    // Load once per workflow: later query updates (after saves) must not reset the editor.
    if (fetched && store.getState().workflowId !== workflowId) store.getState().load(wf.data!, types.data!);
  }, [fetched, workflowId, store, wf.data, types.data]);
  const ready = fetched && loadedId === workflowId;
  // A failed refetch (the server went away) keeps the builder and its unsaved edits: only a first load that failed shows the error.
  if ((wf.isError && !wf.data) || (types.isError && !types.data)) {
    const err = wf.error ?? types.error;
    return (
      <div className="grid h-full place-items-center">
        <ErrorState
          error={isApiError(err) && err.status === 404 ? "This workflow does not exist or was deleted." : errorMessage(err)}
          onRetry={() => void (wf.refetch(), types.refetch())}
        />
      </div>
    );
  }
  if (!ready) {
    return (
      <div className="flex h-full flex-col" aria-busy="true">
        <div className="h-12 border-b border-slate-200 bg-white" />
        <div className="flex flex-1">
          <div className="w-56 space-y-2 border-r border-slate-200 bg-white p-3">
            {Array.from({ length: 8 }, (_, i) => (
              <Skeleton key={i} className="h-8 w-full" />
            ))}
          </div>
          <div className="flex-1" />
          <div className="w-72 border-l border-slate-200 bg-white" />
        </div>
      </div>
    );
  }
  return (
    <BuilderStoreContext.Provider value={store}>
      <ReactFlowProvider>
        <BuilderBody store={store} workflow={wf.data!} readOnly={!canWrite} />
      </ReactFlowProvider>
    </BuilderStoreContext.Provider>
  );
}
