"use client";
import { useCallback, useEffect, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { useQueryClient } from "@tanstack/react-query";
import { AlertTriangle, History } from "lucide-react";
import { useCan } from "@/entities/session";
import { useNodeTypes, useWorkflow, useWorkflowStats, useWorkflowVersions, workflowApi } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys, type ValidationProblem, type Workflow } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Button, Dialog, ErrorState, Skeleton, useToast } from "@/shared/ui";
import { useAutosave } from "../model/autosave";
import { BuilderStoreContext, useBuilder } from "../model/context";
import { createBuilderStore, type BuilderStore } from "../model/store";
import { Canvas } from "./canvas";
import { NodePanel } from "./node-panel";
import { Palette } from "./palette";
import { ProblemsList } from "./problems-list";
import { RunDialog } from "./run-dialog";
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
  readOnly,
}: {
  workflowId: string;
  onSelect: (id: string) => void;
  onRestore: (version: number) => Promise<void>;
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
  const [publishing, setPublishing] = useState(false);
  const [toggling, setToggling] = useState(false);
  const [overlay, setOverlay] = useState(false);
  const { saveNow, validate } = useAutosave(store, !readOnly);
  const stats = useWorkflowStats(workflow.id, overlay);
  useEffect(() => {
    store.getState().setStats(overlay ? (stats.data?.nodes ?? null) : null);
  }, [overlay, stats.data, store]);

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
  const addFromPalette = useCallback(
    (type: string) => {
      const { nodes } = store.getState();
      const maxY = nodes.reduce((m, n) => Math.max(m, n.position.y), -140);
      const x = nodes.length ? nodes[nodes.length - 1]!.position.x : 0;
      const id = store.getState().addNode(type, { x, y: maxY + 140 });
      setSelected(id);
    },
    [store],
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
      setWorkflow({ ...workflow, currentVersion: v.version, currentVersionId: v.id } as Workflow);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.versions(workflow.id) });
      void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "list"] });
    } catch (e) {
      const ps = problemsOf(e);
      if (ps) {
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
        readOnly={readOnly}
      />
      <ConflictBanner onReload={() => void reload()} />
      <div className="flex min-h-0 flex-1">
        {!readOnly && <Palette types={typeList} onAdd={addFromPalette} />}
        <Canvas onSelect={select} readOnly={readOnly} />
        <aside aria-label="Inspector" className="w-72 shrink-0 border-l border-slate-200 bg-white">
          {selected && selectedExists ? (
            <NodePanel nodeId={selected} readOnly={readOnly} onClose={() => (store.getState().select(null), setSelected(null))} />
          ) : (
            <Overview workflowId={workflow.id} onSelect={focusNode} onRestore={restore} readOnly={readOnly} />
          )}
        </aside>
      </div>
      <RunDialog workflowId={workflow.id} open={runOpen} onClose={() => setRunOpen(false)} beforeRun={saveNow} />
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
  if (wf.isError || types.isError) {
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
