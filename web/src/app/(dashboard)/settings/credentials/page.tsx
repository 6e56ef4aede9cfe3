"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LockKeyhole, Plus } from "lucide-react";
import { credentialApi, useCredentials } from "@/entities/credential";
import { useCan } from "@/entities/session";
import { errorMessage, queryKeys, type Credential, type CredentialKind } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Alert, Button, Card, Dialog, EmptyState, ErrorState, Field, Input, PageHeader, TableSkeleton, table, useToast } from "@/shared/ui";

const kinds: { value: CredentialKind; label: string }[] = [
  { value: "http_header", label: "HTTP header (API key, bearer token)" },
  { value: "webhook_secret", label: "Webhook secret" },
  { value: "generic", label: "Other" },
];

/** Create a credential, or replace the value of an existing one (editing). Values are write-only. */
function CredentialDialog({ editing, open, onClose }: { editing: Credential | null; open: boolean; onClose: () => void }) {
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
              {kinds.map((k) => (
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

export default function CredentialsPage() {
  const creds = useCredentials();
  const canManage = useCan("credentials:manage");
  const qc = useQueryClient();
  const toast = useToast();
  const [dialog, setDialog] = useState<{ open: boolean; editing: Credential | null }>({ open: false, editing: null });
  const [confirm, setConfirm] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: credentialApi.remove,
    onSuccess: () => (setConfirm(null), toast("Credential deleted."), void qc.invalidateQueries({ queryKey: queryKeys.credentials.all })),
    onError: (e) => (setConfirm(null), toast(errorMessage(e), "error")),
  });
  const items = creds.data ?? [];
  const create = canManage ? (
    <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setDialog({ open: true, editing: null })} data-testid="create-credential">
      Create credential
    </Button>
  ) : undefined;
  return (
    <>
      <PageHeader
        title="Credentials"
        description="Secrets your workflows use — API keys, tokens, webhook secrets — encrypted and write-only. Refer to one as {{ secrets.NAME }} in an HTTP request, or pick it on a webhook trigger."
        actions={create}
      />
      <Card>
        {creds.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : creds.isError ? (
          <ErrorState error={errorMessage(creds.error)} onRetry={() => void creds.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<LockKeyhole className="size-5" />}
            title="No credentials"
            description={canManage ? "Create one for each secret a workflow needs. Values are never shown again." : "An admin creates credentials; you can then pick them in workflows."}
            action={create}
          />
        ) : (
          <div className="overflow-x-auto">
            <table className={table.root}>
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[30%]`}>Name</th>
                  <th className={`${table.th} w-[30%]`}>Reference</th>
                  <th className={`${table.th} w-[18%]`}>Updated</th>
                  <th className={`${table.th} w-[22%]`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.name} className={table.row} data-testid="credential-row">
                    <td className={`${table.td} truncate`}>
                      <span className="font-medium text-slate-900">{c.name}</span>
                      <span className="block truncate text-xs text-slate-500">{c.description || kinds.find((k) => k.value === c.kind)?.label}</span>
                    </td>
                    <td className={`${table.td} truncate font-mono text-xs text-slate-500`}>{c.reference}</td>
                    <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(c.updatedAt)}</td>
                    <td className={`${table.td} text-right whitespace-nowrap`}>
                      {canManage && (
                        <span className="inline-flex gap-2">
                          <Button size="sm" onClick={() => setDialog({ open: true, editing: c })}>
                            Replace value
                          </Button>
                          <Button size="sm" variant="danger" onClick={() => setConfirm(c.name)}>
                            Delete
                          </Button>
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <CredentialDialog open={dialog.open} editing={dialog.editing} onClose={() => setDialog({ open: false, editing: null })} />
      <Dialog
        open={!!confirm}
        onClose={() => setConfirm(null)}
        title={`Delete “${confirm ?? ""}”?`}
        description="Refused while a workflow still uses it; remove it from those workflows first."
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button variant="danger" loading={remove.isPending} onClick={() => confirm && remove.mutate(confirm)}>
              Delete credential
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-600">Calls that refer to it will fail.</p>
      </Dialog>
    </>
  );
}
