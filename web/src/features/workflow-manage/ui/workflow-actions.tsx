"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Copy, Trash2 } from "lucide-react";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, queryKeys, type Workflow } from "@/shared/api";
import { Button, Dialog, Switch, useToast } from "@/shared/ui";

/** The active switch of a workflow row. */
export function ActiveToggle({ workflow }: { workflow: Workflow }) {
  const qc = useQueryClient();
  const toast = useToast();
  const m = useMutation({
    mutationFn: (active: boolean) => (active ? workflowApi.activate(workflow.id) : workflowApi.deactivate(workflow.id)),
    onSuccess: (_, active) => {
      toast(active ? `“${workflow.name}” is active.` : `“${workflow.name}” is paused.`);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const neverPublished = workflow.currentVersion === 0;
  return (
    <span title={neverPublished ? "Publish it in the builder first" : undefined}>
      <Switch
        checked={m.isPending ? !!m.variables : workflow.isActive}
        disabled={m.isPending || (neverPublished && !workflow.isActive)}
        onChange={(v) => m.mutate(v)}
        label={`${workflow.isActive ? "Deactivate" : "Activate"} ${workflow.name}`}
        data-testid={`active-toggle-${workflow.id}`}
      />
    </span>
  );
}

/** Duplicate and delete buttons of a workflow row. */
export function WorkflowRowActions({ workflow }: { workflow: Workflow }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [confirm, setConfirm] = useState(false);
  const dup = useMutation({
    mutationFn: () => workflowApi.duplicate(workflow.id),
    onSuccess: (wf) => {
      toast(`Created “${wf.name}”.`);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const del = useMutation({
    mutationFn: () => workflowApi.remove(workflow.id),
    onSuccess: () => {
      setConfirm(false);
      toast(`Deleted “${workflow.name}”.`);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  return (
    <div className="flex justify-end gap-1">
      <Button variant="ghost" size="sm" aria-label={`Duplicate ${workflow.name}`} title="Duplicate" loading={dup.isPending} onClick={() => dup.mutate()}>
        {!dup.isPending && <Copy className="size-3.5" />}
      </Button>
      <Button variant="ghost" size="sm" aria-label={`Delete ${workflow.name}`} title="Delete" onClick={() => setConfirm(true)}>
        <Trash2 className="size-3.5" />
      </Button>
      <Dialog
        open={confirm}
        onClose={() => setConfirm(false)}
        title={`Delete “${workflow.name}”?`}
        description="This deletes its versions and execution history. Running executions are cancelled. This cannot be undone."
        footer={
          <>
            <Button onClick={() => setConfirm(false)}>Cancel</Button>
            <Button variant="danger" loading={del.isPending} onClick={() => del.mutate()}>
              Delete workflow
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-600">Type nothing, just be sure. Consider deactivating it instead to keep its history.</p>
      </Dialog>
    </div>
  );
}
