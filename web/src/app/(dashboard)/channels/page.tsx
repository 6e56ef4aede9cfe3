"use client";
import { Radio } from "lucide-react";
import { channelKinds, channelStatus, useChannels, type ChannelConnection } from "@/entities/channel";
import { ConnectChannelButton } from "@/features/channel-connect";
import { EditChannelButton } from "@/features/channel-edit";
import { RemoveChannelButton } from "@/features/channel-remove";
import { TestChannelButton } from "@/features/channel-test";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { formatDateTime, formatRelative } from "@/shared/lib";
import { Badge, Card, CopyField, EmptyState, ErrorState, PageHeader, TableSkeleton } from "@/shared/ui";

/** The webhook URL as Meta needs it: absolute, on this dashboard's origin when the server gave a path. */
function absoluteUrl(u: string): string {
  return u.startsWith("/") && typeof window !== "undefined" ? `${window.location.origin}${u}` : u;
}

function ChannelCard({ c }: { c: ChannelConnection }) {
  const k = channelKinds[c.kind];
  const Icon = k?.Icon ?? Radio;
  const st = channelStatus(c);
  const sender = k?.sender(c);
  return (
    <li className="space-y-3 px-4 py-4" data-testid="channel-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex min-w-0 items-start gap-3">
          <span className="mt-0.5 rounded-md bg-slate-100 p-2 text-slate-500">
            <Icon className="size-4" aria-hidden />
          </span>
          <div className="min-w-0">
            <p className="truncate font-medium text-slate-900">{c.name}</p>
            <p className="text-xs text-slate-500">
              {k?.label ?? c.kind}
              {sender ? ` · ${sender}` : ""}
            </p>
          </div>
        </div>
        <div className="flex items-center gap-1">
          <TestChannelButton channel={c} />
          <EditChannelButton channel={c} />
          <RemoveChannelButton channel={c} />
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600" data-testid="channel-status">
        <Badge tone={st.tone}>{st.label}</Badge>
        {c.status === "untested" ? (
          <span>Use “Test connection” to check the settings.</span>
        ) : (
          <span>
            {c.statusMessage}
            {c.lastTestedAt && (
              <span className="text-slate-400" title={formatDateTime(c.lastTestedAt)}>
                {" "}
                · tested {formatRelative(c.lastTestedAt)}
              </span>
            )}
          </span>
        )}
      </div>
      {c.secretsSet && c.secretsSet.length > 0 && (
        <p className="text-xs text-slate-500">
          Set (never shown): {c.secretsSet.map((n) => k?.secrets.find((s) => s.key === n)?.label ?? n).join(", ")}
        </p>
      )}
      {c.webhookUrl && (
        <div className="space-y-1">
          <p className="text-xs font-medium text-slate-700">Inbound webhook URL</p>
          <CopyField label="Inbound webhook URL" value={absoluteUrl(c.webhookUrl)} testId="channel-webhook-url" />
          <p className="text-xs text-slate-500">
            Enter this callback URL in Meta&apos;s app dashboard ({c.kind === "whatsapp" ? "WhatsApp → Configuration" : "Messenger → Webhooks"}) with the verify token you saved
            here; Meta checks it once with a GET request.
          </p>
        </div>
      )}
    </li>
  );
}

export default function ChannelsPage() {
  const list = useChannels();
  const items = list.data ?? [];
  return (
    <>
      <PageHeader title="Channels" description="Where messages go out and replies come in: email over SMTP, WhatsApp and Messenger." actions={<ConnectChannelButton />} />
      <Card>
        {list.isPending ? (
          <TableSkeleton cols={3} />
        ) : list.isError && isMissingRoute(list.error) ? (
          <EmptyState icon={<Radio className="size-5" />} title="Channels are not available on this server yet" description="This NextFlow version does not serve the channels API." />
        ) : list.isError && !list.data ? (
          <ErrorState error={errorMessage(list.error)} onRetry={() => void list.refetch()} />
        ) : items.length === 0 ? (
          <EmptyState
            icon={<Radio className="size-5" />}
            title="No channels connected"
            description="Connect an SMTP server, a WhatsApp number or a Facebook page so your workflows can send messages."
            action={<ConnectChannelButton />}
          />
        ) : (
          <ul className="divide-y divide-slate-100">
            {items.map((c) => (
              <ChannelCard key={c.id} c={c} />
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
