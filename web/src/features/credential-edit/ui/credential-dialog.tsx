"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { credentialApi, credentialKinds } from "@/entities/credential";
import { errorMessage, queryKeys, type Credential, type CredentialKind } from "@/shared/api";
import { Alert, Button, Dialog, Field, Input, useToast } from "@/shared/ui";

/** Create a credential, or replace the value of an existing one (editing). Values are write-only. */
export function CredentialDialog({ editing, open, onClose }: { editing: Credential | null; open: boolean; onClose: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<CredentialKind>("http_header");
  const [description, setDescription] = useState("");
  const [value, setValue] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () =>
      editing
        ? credentialApi.replace(editing.name, { kind, description, value })
        : credentialApi.create({ name: name.trim(), kind, description, value }),
    onSuccess: () => {
      toast(editing ? "Value replaced. The next call uses it." : "Credential created.");
      void qc.invalidateQueries({ queryKey: queryKeys.credentials.all });
      close();
    },
  });
  const close = () => (setName(""), setDescription(""), setValue(""), save.reset(), onClose());
  const [seeded, setSeeded] = useState<string | null>(null);
  if (open && editing && seeded !== editing.name) {
    setSeeded(editing.name);
    setKind(editing.kind as CredentialKind);
    setDescription(editing.description ?? "");
  }
  if (!open && seeded !== null) setSeeded(null);
  return (
    <Dialog
      open={open}
      onClose={close}
      title={editing ? `Replace the value of ${editing.name}` : "Create a credential"}
      description="The value is encrypted at rest and never shown again, to anyone. Workflows refer to the credential by name."
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" type="submit" form="credential-form" loading={save.isPending} disabled={!value || (!editing && !name.trim())}>
            {editing ? "Replace value" : "Create credential"}
          </Button>
        </>
      }
    >
      <form id="credential-form" className="space-y-4" autoComplete="off" onSubmit={(e: FormEvent) => (e.preventDefault(), save.mutate())}>
        {save.isError && <Alert>{errorMessage(save.error)}</Alert>}
        {!editing && (
          <Field label="Name" required hint="Letters, digits and _, e.g. STRIPE_KEY. Used as {{ secrets.NAME }}.">
            {(ids) => (
              <Input {...ids} autoFocus value={name} pattern="[A-Za-z0-9_]{1,64}" onChange={(e) => setName(e.target.value.toUpperCase().replace(/[^A-Z0-9_]/g, "_"))} data-testid="credential-name" />
            )}
          </Field>
        )}
        <Field label="Kind">
          {(ids) => (
            <select
              {...ids}
              value={kind}
              onChange={(e) => setKind(e.target.value as CredentialKind)}
              className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900"
            >
              {credentialKinds.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Description" hint="Optional: what it is for, where it comes from.">
          {(ids) => <Input {...ids} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Field label={editing ? "New value" : "Value"} required hint="Write-only: paste it here; it cannot be read back.">
          {(ids) => (
            <Input {...ids} type="password" autoComplete="new-password" spellCheck={false} value={value} onChange={(e) => setValue(e.target.value)} data-testid="credential-value" />
          )}
        </Field>
      </form>
    </Dialog>
  );
}
