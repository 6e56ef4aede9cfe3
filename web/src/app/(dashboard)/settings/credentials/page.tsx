"use client";
import { useState } from "react";
import { LockKeyhole, Plus } from "lucide-react";
import { credentialKinds, useCredentials } from "@/entities/credential";
import { useCan } from "@/entities/session";
import { useDeleteCredential } from "@/features/credential-delete";
import { CredentialDialog } from "@/features/credential-edit";
import { errorMessage, type Credential } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Button, Card, Dialog, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

export default function CredentialsPage() {
  const creds = useCredentials();
  const canManage = useCan("credentials:manage");
  const [dialog, setDialog] = useState<{ open: boolean; editing: Credential | null }>({ open: false, editing: null });
  const [confirm, setConfirm] = useState<string | null>(null);
  const remove = useDeleteCredential(() => setConfirm(null));
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
        ) : creds.isError && !creds.data ? (
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
                      <span className="block truncate text-xs text-slate-500">{c.description || credentialKinds.find((k) => k.value === c.kind)?.label}</span>
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
