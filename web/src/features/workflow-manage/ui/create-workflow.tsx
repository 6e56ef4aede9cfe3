"use client";
import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, queryKeys } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog, Field, Input, Textarea } from "@/shared/ui";

const starter = {
  nodes: [
    { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
  ],
  edges: [],
};

/** "New workflow": name it, then open it in the builder. */
export function CreateWorkflowButton({ variant = "primary" }: { variant?: "primary" | "secondary" }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [withTrigger, setWithTrigger] = useState(false);
  const router = useRouter();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      workflowApi.create({ name: name.trim(), description: description.trim() || undefined, definition: withTrigger ? starter : { nodes: [], edges: [] } }),
    onSuccess: (wf) => {
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
      router.push(routes.workflow(wf.id));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <>
      <Button variant={variant} icon={<Plus className="size-4" />} onClick={() => setOpen(true)} data-testid="new-workflow">
        New workflow
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="New workflow"
        description="A workflow is a journey: a trigger, then the steps each contact goes through."
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" type="submit" form="create-workflow" loading={create.isPending} disabled={!name.trim()} data-testid="create-workflow-submit">
              Create and open builder
            </Button>
          </>
        }
      >
        <form id="create-workflow" onSubmit={submit} className="space-y-4">
          {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
          <Field label="Name" required>
            {(ids) => <Input {...ids} autoFocus value={name} maxLength={200} placeholder="e.g. Welcome series" onChange={(e) => setName(e.target.value)} data-testid="create-workflow-name" />}
          </Field>
          <Field label="Description">
            {(ids) => <Textarea {...ids} rows={2} value={description} maxLength={2000} placeholder="What this journey does, for whom" onChange={(e) => setDescription(e.target.value)} />}
          </Field>
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={withTrigger} onChange={(e) => setWithTrigger(e.target.checked)} className="size-4 rounded border-slate-300 accent-brand-600" />
            Start with a manual trigger
          </label>
        </form>
      </Dialog>
    </>
  );
}
