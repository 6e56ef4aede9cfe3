"use client";
import { useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { switchTenant, useResetSession } from "@/entities/session";
import { client, errorMessage, isApiError, unwrap } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog, Field, Input, useToast } from "@/shared/ui";

/** A dialog that creates a workspace the user owns and switches to it. */
export function CreateWorkspaceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [name, setName] = useState("");
  const reset = useResetSession();
  const router = useRouter();
  const toast = useToast();
  const create = useMutation({
    mutationFn: async (n: string) => {
      const ws = await unwrap(client.POST("/api/v1/workspaces", { body: { name: n } }));
      await switchTenant(ws.id);
      return ws;
    },
    onSuccess: async (ws) => {
      await reset();
      setName("");
      onClose();
      toast(`Created ${ws.name}. You are its owner.`);
      router.push(routes.workflows);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate(name.trim());
  };
  const fieldError = isApiError(create.error) ? create.error.fieldError("name") : undefined;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="New workspace"
      description="A separate space with its own workflows, contacts, members and keys. You become its owner."
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="create-workspace" loading={create.isPending} disabled={!name.trim()} data-testid="create-workspace-submit">
            Create workspace
          </Button>
        </>
      }
    >
      <form id="create-workspace" onSubmit={submit} className="space-y-3">
        {create.isError && !fieldError && <Alert>{errorMessage(create.error)}</Alert>}
        <Field label="Name" required error={fieldError}>
          {(ids) => <Input {...ids} autoFocus maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme EU" data-testid="workspace-name" />}
        </Field>
      </form>
    </Dialog>
  );
}
