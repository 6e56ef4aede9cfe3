"use client";
import { useState } from "react";
import { Send } from "lucide-react";
import { MESSAGE_CHANNELS, MESSAGE_STATUSES, MessageItem, useMessages, type MessageQuery } from "@/entities/message";
import { useTemplates } from "@/entities/message-template";
import { errorMessage } from "@/shared/api";
import { Button, Card, CardHeader, EmptyState, ErrorState, Select, TableSkeleton } from "@/shared/ui";

export interface MessageHistoryProps {
  /** Which messages: a contact's, an execution's, or a journey node's (workflowId + nodeId). */
  filter: MessageQuery;
  title?: string;
  /** What to say when nothing was sent yet. */
  emptyText?: string;
}

/** Messages sent by send steps with their status chips and the time of each status, filterable by channel and status. */
export function MessageHistory({ filter, title = "Messages", emptyText = "When a journey's Email, WhatsApp or Messenger step sends, the message appears here and moves from queued to sent, delivered and read." }: MessageHistoryProps) {
  const [channel, setChannel] = useState("");
  const [status, setStatus] = useState("");
  const q = useMessages({ ...filter, channel, status });
  const templates = useTemplates();
  const names = new Map((templates.data ?? []).map((t) => [t.id, t.name]));
  const items = q.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  return (
    <Card data-testid="message-history">
      <CardHeader title={title} description="What journeys sent, with the time of each delivery status" />
      <div className="flex flex-wrap gap-2 border-b border-slate-100 px-4 py-2">
        <Select aria-label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)} className="h-7 w-auto text-xs">
          <option value="">All channels</option>
          {MESSAGE_CHANNELS.map(({ value, label }) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </Select>
        <Select aria-label="Status" value={status} onChange={(e) => setStatus(e.target.value)} className="h-7 w-auto text-xs">
          <option value="">Any status</option>
          {MESSAGE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Select>
      </div>
      {q.isPending ? (
        <TableSkeleton rows={3} cols={3} />
      ) : q.isError && !q.data ? (
        <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState icon={<Send className="size-5" />} title={channel || status ? "No messages match these filters" : "Nothing sent yet"} description={emptyText} />
      ) : (
        <>
          <ul className="divide-y divide-slate-100">
            {items.map((m) => (
              <MessageItem key={m.id} m={m} templateName={m.templateId ? names.get(m.templateId) : undefined} />
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="border-t border-slate-100 p-2 text-center">
              <Button size="sm" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                Load older messages
              </Button>
            </div>
          )}
        </>
      )}
    </Card>
  );
}
