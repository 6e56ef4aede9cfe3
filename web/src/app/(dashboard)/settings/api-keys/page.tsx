"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { KeyRound, Plus } from "lucide-react";
import { apiKeyApi, useApiKeys } from "@/entities/api-key";
import { errorMessage, queryKeys, type CreatedApiKey } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Alert, Button, Card, CopyField, Dialog, EmptyState, ErrorState, Field, Input, PageHeader, TableSkeleton, table, useToast } from "@/shared/ui";

function CreateKey() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [ingestOnly, setIngestOnly] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => apiKeyApi.create({ name: name.trim(), scopes: [ingestOnly ? "events:write" : "full"] }),
    onSuccess: (k) => {
      setCreated(k);
      void qc.invalidateQueries({ queryKey: queryKeys.apiKeys.all });
    },
  });
  const close = () => (setOpen(false), setCreated(null), setName(""), create.reset());
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)} data-testid="create-api-key">
        Create API key
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title={created ? "Copy your new key" : "Create an API key"}
        description={created ? undefined : "For servers sending events or starting executions: Authorization: Bearer <key>."}
        footer={
          created ? (
            <Button variant="primary" onClick={close}>
              I have copied it
            </Button>
          ) : (
            <>
              <Button onClick={close}>Cancel</Button>
              <Button variant="primary" type="submit" form="create-key" loading={create.isPending} disabled={!name.trim()}>
                Create key
              </Button>
            </>
          )
        }
      >
        {created ? (
          <div className="space-y-3">
            <Alert tone="warning">This is the only time the secret is shown. Store it in your secret manager now.</Alert>
            <CopyField value={created.key} label="API key secret" testId="api-key-secret" />
          </div>
        ) : (
          <form id="create-key" className="space-y-4" onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())}>
            {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
            <Field label="Name" required hint="Where it is used, e.g. “Production backend”.">
              {(ids) => <Input {...ids} autoFocus value={name} onChange={(e) => setName(e.target.value)} data-testid="api-key-name" />}
            </Field>
            <label className="flex items-start gap-2 text-sm text-slate-700">
              <input type="checkbox" className="mt-0.5 size-4 accent-brand-600" checked={ingestOnly} onChange={(e) => setIngestOnly(e.target.checked)} />
              <span>
                Events only
                <span className="block text-xs text-slate-500">The key may send events and identify contacts, nothing else. Safer for client-side or third-party use.</span>
              </span>
            </label>
          </form>
        )}
      </Dialog>
    </>
  );
}

export default function ApiKeysPage() {
  const keys = useApiKeys();
  const qc = useQueryClient();
  const toast = useToast();
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const revoke = useMutation({
    mutationFn: apiKeyApi.revoke,
    onSuccess: () => (setConfirm(null), toast("Key revoked. Requests using it now fail."), void qc.invalidateQueries({ queryKey: queryKeys.apiKeys.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const items = keys.data ?? [];
  return (
    <>
      <PageHeader title="API keys" description="Keys let your backend send events, identify contacts and start executions in this workspace." actions={<CreateKey />} />
      <Card>
        {keys.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : keys.isError ? (
          <ErrorState error={errorMessage(keys.error)} onRetry={() => void keys.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState icon={<KeyRound className="size-5" />} title="No API keys" description="Create a key to call the API from your servers. The secret is shown once." action={<CreateKey />} />
        ) : (
          <table className={table.root}>
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[32%]`}>Name</th>
                <th className={`${table.th} w-[20%]`}>Key</th>
                <th className={`${table.th} w-[18%]`}>Created</th>
                <th className={`${table.th} w-[18%]`}>Last used</th>
                <th className={`${table.th} w-[12%]`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => (
                <tr key={k.id} className={table.row}>
                  <td className={`${table.td} truncate font-medium text-slate-900`}>
                    {k.name}
                    {(k.scopes ?? []).includes("events:write") && <span className="ml-2 text-xs font-normal text-slate-500">events only</span>}
                  </td>
                  <td className={`${table.td} font-mono text-xs text-slate-500`}>{k.prefix ? `${k.prefix}…` : "••••••"}</td>
                  <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(k.createdAt)}</td>
                  <td className={`${table.td} text-xs text-slate-500`}>{k.lastUsedAt ? formatRelative(k.lastUsedAt) : "Never"}</td>
                  <td className={`${table.td} text-right`}>
                    <Button size="sm" variant="danger" onClick={() => setConfirm({ id: k.id, name: k.name })}>
                      Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Dialog
        open={!!confirm}
        onClose={() => setConfirm(null)}
        title={`Revoke “${confirm?.name ?? ""}”?`}
        description="Anything still using this key stops working immediately."
        footer={
          <>
            <Button onClick={() => setConfirm(null)}>Cancel</Button>
            <Button variant="danger" loading={revoke.isPending} onClick={() => confirm && revoke.mutate(confirm.id)}>
              Revoke key
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-600">You can create a new key at any time.</p>
      </Dialog>
    </>
  );
}
