"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Mail, MessageCircle, MessagesSquare, Plus, Radio, Trash2 } from "lucide-react";
import { channelApi, useChannels } from "@/entities/channel";
import { errorMessage, isMissingRoute, queryKeys } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Alert, Badge, Button, Card, Dialog, EmptyState, ErrorState, Field, Input, PageHeader, Select, TableSkeleton, table, useToast } from "@/shared/ui";

const kinds = {
  email: { label: "Email (SMTP)", Icon: Mail, fields: [["host", "SMTP host"], ["port", "Port"], ["username", "Username"], ["password", "Password"], ["from", "From address"]] },
  whatsapp: { label: "WhatsApp Cloud API", Icon: MessageCircle, fields: [["phoneNumberId", "Phone number ID"], ["accessToken", "Access token"], ["appSecret", "App secret"], ["verifyToken", "Webhook verify token"]] },
  messenger: { label: "Messenger", Icon: MessagesSquare, fields: [["pageId", "Page ID"], ["accessToken", "Page access token"], ["appSecret", "App secret"], ["verifyToken", "Webhook verify token"]] },
} as const;
type Kind = keyof typeof kinds;
const secret = /password|token|secret/i;

function ConnectChannel() {
  const [open, setOpen] = useState(false);
  const [type, setType] = useState<Kind>("email");
  const [name, setName] = useState("");
  const [config, setConfig] = useState<Record<string, string>>({});
  const qc = useQueryClient();
  const toast = useToast();
  const create = useMutation({
    mutationFn: () =>
      channelApi.create({
        type,
        name: name.trim() || kinds[type].label,
        config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, k === "port" && v ? Number(v) : v])),
      }),
    onSuccess: () => {
      setOpen(false);
      setConfig({});
      setName("");
      toast("Channel connected. Credentials are encrypted at rest.");
      void qc.invalidateQueries({ queryKey: queryKeys.channels.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)}>
        Connect channel
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="Connect a channel"
        description="Send steps use a connected channel. Secrets are stored encrypted and never shown again."
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" type="submit" form="connect-channel" loading={create.isPending}>
              Connect
            </Button>
          </>
        }
      >
        <form id="connect-channel" className="space-y-4" onSubmit={submit}>
          {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
          <div className="grid grid-cols-2 gap-3">
            <Field label="Type" required>
              {(ids) => (
                <Select {...ids} value={type} onChange={(e) => (setType(e.target.value as Kind), setConfig({}))}>
                  {Object.entries(kinds).map(([k, v]) => (
                    <option key={k} value={k}>
                      {v.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Name">
              {(ids) => <Input {...ids} placeholder={kinds[type].label} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
          </div>
          {kinds[type].fields.map(([k, label]) => (
            <Field key={k} label={label}>
              {(ids) => (
                <Input {...ids} type={secret.test(k) ? "password" : k === "port" ? "number" : "text"} autoComplete="off" value={config[k] ?? ""} onChange={(e) => setConfig({ ...config, [k]: e.target.value })} />
              )}
            </Field>
          ))}
        </form>
      </Dialog>
    </>
  );
}

export default function ChannelsPage() {
  const list = useChannels();
  const qc = useQueryClient();
  const toast = useToast();
  const del = useMutation({
    mutationFn: channelApi.remove,
    onSuccess: () => (toast("Channel removed."), void qc.invalidateQueries({ queryKey: queryKeys.channels.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const items = list.data ?? [];
  return (
    <>
      <PageHeader title="Channels" description="Where messages go out: email over SMTP, WhatsApp and Messenger." actions={<ConnectChannel />} />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={4} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState
            icon={<Radio className="size-5" />}
            title="Channels are not available on this server yet"
            description="This NextFlow version does not serve the channels API. Send steps use the workspace's default connection."
          />
        ) : list.isError ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<Radio className="size-5" />}
            title="No channels connected"
            description="Connect an SMTP server, a WhatsApp number or a Facebook page so your workflows can send messages."
            action={<ConnectChannel />}
          />
        ) : (
          <table className={table.root}>
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[36%]`}>Name</th>
                <th className={`${table.th} w-[24%]`}>Type</th>
                <th className={`${table.th} w-[16%]`}>Status</th>
                <th className={`${table.th} w-[16%]`}>Connected</th>
                <th className={`${table.th} w-[8%]`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => {
                const k = kinds[c.type as Kind];
                const Icon = k?.Icon ?? Radio;
                return (
                  <tr key={c.id} className={table.row}>
                    <td className={`${table.td} truncate font-medium text-slate-900`}>{c.name}</td>
                    <td className={table.td}>
                      <span className="inline-flex items-center gap-1.5 text-sm">
                        <Icon className="size-4 text-slate-400" aria-hidden /> {k?.label ?? c.type}
                      </span>
                    </td>
                    <td className={table.td}>
                      <Badge tone={c.status === "error" ? "red" : "green"}>{c.status ?? "connected"}</Badge>
                    </td>
                    <td className={`${table.td} text-xs text-slate-500`}>{formatRelative(c.createdAt)}</td>
                    <td className={table.td}>
                      <Button size="sm" variant="ghost" aria-label={`Remove ${c.name}`} onClick={() => del.mutate(c.id)}>
                        <Trash2 className="size-3.5" />
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
