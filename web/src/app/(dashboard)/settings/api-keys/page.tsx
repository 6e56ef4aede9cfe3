"use client";
import { useState } from "react";
import { KeyRound } from "lucide-react";
import { useApiKeys } from "@/entities/api-key";
import { CreateApiKeyButton } from "@/features/api-key-create";
import { useRevokeApiKey } from "@/features/api-key-revoke";
import { errorMessage } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Button, Card, Dialog, EmptyState, ErrorState, PageHeader, TableSkeleton, table } from "@/shared/ui";

export default function ApiKeysPage() {
  const keys = useApiKeys();
  const [confirm, setConfirm] = useState<{ id: string; name: string } | null>(null);
  const revoke = useRevokeApiKey(() => setConfirm(null));
  const items = keys.data ?? [];
  return (
    <>
      <PageHeader title="API keys" description="Keys let your backend send events, identify contacts and start executions in this workspace." actions={<CreateApiKeyButton />} />
      <Card>
        {keys.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : keys.isError ? (
          <ErrorState error={errorMessage(keys.error)} onRetry={() => void keys.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState icon={<KeyRound className="size-5" />} title="No API keys" description="Create a key to call the API from your servers. The secret is shown once." action={<CreateApiKeyButton />} />
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
