import { formatDateTime, formatRelative } from "@/shared/lib";
import { channelLabel, messageSteps, type Message } from "../model/types";
import { MessageStatusBadge } from "./message-status-badge";

export interface MessageItemProps {
  m: Message;
  /** The template's name; left out, the item says whether the template was removed or the message was inline. */
  templateName?: string;
  /** Compact: no channel name (the step already says it) and a smaller frame. */
  compact?: boolean;
}

/** One message: status, channel, template, recipient, the time of each status, and the error or skip reason. */
export function MessageItem({ m, templateName, compact = false }: MessageItemProps) {
  const steps = messageSteps(m);
  return (
    <li className={compact ? "space-y-1 py-2" : "space-y-1.5 px-4 py-3"} data-testid="message-row" data-status={m.status}>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <div className="flex min-w-0 flex-wrap items-center gap-2 text-sm">
          <MessageStatusBadge status={m.status} />
          {!compact && <span className="font-medium text-slate-900">{channelLabel(m.channel)}</span>}
          <span className="truncate text-slate-600">{templateName ?? (m.templateId ? "template removed" : "inline message")}</span>
        </div>
        <span className="text-xs text-slate-500" title={formatDateTime(m.updatedAt)}>
          {formatRelative(m.updatedAt)}
        </span>
      </div>
      <p className="truncate text-xs text-slate-500">
        {compact ? `${channelLabel(m.channel)} to ` : "To "}
        <span className="text-slate-700">{m.recipient || "an erased contact"}</span>
      </p>
      <ol className="flex flex-wrap items-center gap-x-1 text-xs text-slate-500" aria-label="Status history">
        {steps.map((s, i) => (
          <li key={s.status} className="inline-flex items-center gap-1">
            {i > 0 && <span aria-hidden>→</span>}
            <span className="font-medium text-slate-700">{s.status}</span>
            <time dateTime={s.at}>{formatDateTime(s.at)}</time>
          </li>
        ))}
      </ol>
      {(m.errorCode || m.errorText) && (
        <p className="text-xs break-words text-red-700">
          {m.status === "skipped" ? "Reason: " : "Error: "}
          {m.errorCode && <code className="mr-1 rounded bg-red-50 px-1">{m.errorCode}</code>}
          {m.errorText}
        </p>
      )}
    </li>
  );
}
