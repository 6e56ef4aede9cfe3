import type { Generated } from "@/shared/api";

/** One message sent (or skipped) by a send step. */
export type Message = Generated<"MessageDTO", never>;
/** The status of a message. */
export type MessageStatus = Message["status"];

/** Filters of the message list: by contact, journey node, execution, channel or status. */
export interface MessageQuery {
  contactId?: string;
  workflowId?: string;
  nodeId?: string;
  executionId?: string;
  channel?: string;
  status?: string;
}

const channelLabels: Record<string, string> = { email: "Email", whatsapp: "WhatsApp", messenger: "Messenger" };

/** The channels a message can go out on, with their names. */
export const MESSAGE_CHANNELS = Object.entries(channelLabels).map(([value, label]) => ({ value, label }));

/** The name of a channel kind ("email" → "Email"). */
export function channelLabel(kind: string): string {
  return channelLabels[kind] ?? kind;
}

/** Every status, in the order a message moves through them. */
export const MESSAGE_STATUSES: MessageStatus[] = ["queued", "sent", "delivered", "read", "failed", "bounced", "skipped"];

const tones: Record<MessageStatus, "gray" | "blue" | "green" | "violet" | "red" | "amber"> = {
  queued: "gray",
  sent: "blue",
  delivered: "green",
  read: "violet",
  failed: "red",
  bounced: "red",
  skipped: "amber",
};

/** The badge tone of a status. */
export function messageStatusTone(s: MessageStatus) {
  return tones[s] ?? "gray";
}

/** The statuses a message went through, each with its time, oldest first. */
export function messageSteps(m: Message): { status: MessageStatus; at: string }[] {
  const steps: [MessageStatus, string | undefined][] = [
    ["queued", m.queuedAt],
    ["sent", m.sentAt],
    ["delivered", m.deliveredAt],
    ["read", m.readAt],
    ["failed", m.failedAt],
    ["bounced", m.bouncedAt],
    ["skipped", m.skippedAt],
  ];
  return steps.filter((s): s is [MessageStatus, string] => Boolean(s[1])).map(([status, at]) => ({ status, at }));
}

/** What messagesByStep needs of an execution step. */
export interface StepRef {
  seq?: number;
  nodeId: string;
  output?: unknown;
}

/** The message ID a send step recorded in its output ({"messageId": …}), if any. */
function outputMessageId(output: unknown): string | undefined {
  if (output && typeof output === "object" && "messageId" in output) {
    const id = (output as { messageId?: unknown }).messageId;
    return typeof id === "string" ? id : undefined;
  }
  return undefined;
}

/**
 * Which of an execution's messages each step sent, keyed by the step's seq:
 * a step that recorded the message's ID in its output gets that message;
 * messages no output names go to the node's only visit (a node visited
 * several times without IDs gets them on its last visit).
 */
export function messagesByStep(steps: StepRef[], messages: Message[]): Map<number, Message[]> {
  const out = new Map<number, Message[]>();
  const add = (seq: number, m: Message) => out.set(seq, [...(out.get(seq) ?? []), m]);
  const byId = new Map(messages.map((m) => [m.id, m]));
  const claimed = new Set<string>();
  const lastVisit = new Map<string, number>();
  steps.forEach((s, i) => {
    const seq = s.seq ?? i;
    lastVisit.set(s.nodeId, seq);
    const id = outputMessageId(s.output);
    const m = id ? byId.get(id) : undefined;
    if (m) {
      add(seq, m);
      claimed.add(m.id);
    }
  });
  for (const m of messages) {
    if (claimed.has(m.id) || !m.nodeId) continue;
    const seq = lastVisit.get(m.nodeId);
    if (seq !== undefined) add(seq, m);
  }
  return out;
}
