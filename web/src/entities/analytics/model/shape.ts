import type { Definition, WorkflowStats } from "@/shared/api";
import { dayLabel, daysOf } from "./period";
import type { ConversionAnalytics, ExecutionAnalytics, MessageAnalytics, SplitAnalytics } from "./types";

/** One bar of the executions chart: a UTC day with every status, zero when the API had no row. */
export interface ExecutionDayRow {
  day: string;
  label: string;
  started: number;
  completed: number;
  failed: number;
  cancelled: number;
}

/**
 * executionSeries lays the API's days on every UTC day of the period, so a
 * quiet day shows as an empty bar rather than vanishing from the axis.
 */
export function executionSeries(data: ExecutionAnalytics | undefined): ExecutionDayRow[] {
  if (!data) return [];
  const byDay = new Map((data.days ?? []).map((d) => [d.day, d]));
  const days = daysOf(data.from, data.to);
  // Days the API names outside the computed range (clock skew) are kept.
  for (const d of byDay.keys()) if (!days.includes(d)) days.push(d);
  days.sort();
  return days.map((day) => {
    const d = byDay.get(day);
    return { day, label: dayLabel(day), started: d?.started ?? 0, completed: d?.completed ?? 0, failed: d?.failed ?? 0, cancelled: d?.cancelled ?? 0 };
  });
}

/** Whether the period saw any execution start or finish (those under way now are shown apart, whatever the period). */
export function hasExecutions(data: ExecutionAnalytics | undefined): boolean {
  if (!data) return false;
  const t = data.totals;
  return t.started + t.completed + t.failed + t.cancelled > 0;
}

/** The counts and rates of one channel: delivered and bounced of sent, read of delivered, failed of all queued. */
export interface ChannelRow {
  channel: string;
  label: string;
  total: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  bounced: number;
  deliveryRate: number;
  readRate: number;
  failureRate: number;
  bounceRate: number;
}

const CHANNEL_LABELS: Record<string, string> = { email: "Email", whatsapp: "WhatsApp", messenger: "Messenger", sms: "SMS" };

/** The words for a channel as the API names it. */
export function channelLabel(channel: string): string {
  return CHANNEL_LABELS[channel] ?? channel.charAt(0).toUpperCase() + channel.slice(1);
}

/** ratio is n/d, or 0 without a denominator. */
export function ratio(n: number, d: number): number {
  return d > 0 ? n / d : 0;
}

/**
 * channelRows: the channels with messages, most sent first. A rate the API
 * leaves out is computed from the counts.
 */
export function channelRows(data: MessageAnalytics | undefined): ChannelRow[] {
  return (data?.channels ?? [])
    .filter((c) => (c.total ?? 0) + c.sent + c.delivered + c.read + c.failed + c.bounced > 0)
    .map((c) => ({
      channel: c.channel,
      label: channelLabel(c.channel),
      total: c.total ?? c.sent + c.failed,
      sent: c.sent,
      delivered: c.delivered,
      read: c.read,
      failed: c.failed,
      bounced: c.bounced,
      deliveryRate: c.deliveryRate ?? ratio(c.delivered, c.sent),
      readRate: c.readRate ?? ratio(c.read, c.delivered),
      failureRate: c.failureRate ?? ratio(c.failed, c.total ?? c.sent + c.failed),
      bounceRate: c.bounceRate ?? ratio(c.bounced, c.sent),
    }))
    .sort((a, b) => b.total - a.total || b.sent - a.sent || a.channel.localeCompare(b.channel));
}

/** A fraction as a percentage with at most one decimal: 0.925 → "92.5%", 0.5 → "50%"; "—" when unknown. */
export function percent(rate: number | null | undefined): string {
  if (rate == null || !Number.isFinite(rate)) return "—";
  const p = rate * 100;
  if (p > 0 && p < 0.1) return "<0.1%";
  const r = Math.round(p * 10) / 10;
  return `${Number.isInteger(r) ? r : r.toFixed(1)}%`;
}

/** A count with thousands separators. */
export function count(n: number | null | undefined): string {
  return (n ?? 0).toLocaleString("en");
}

/** Seconds as the largest sensible unit: "45 s", "12 min", "3.5 h", "2.1 days". */
export function seconds(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return "—";
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round((s / 86_400) * 10) / 10} days`;
}

/** One bar pair of the conversion chart. */
export interface ConversionDayRow {
  day: string;
  label: string;
  entries: number;
  converted: number;
}

/** conversionSeries lays the conversion days on every UTC day of the period. */
export function conversionSeries(data: ConversionAnalytics | undefined, period: { from: string; to: string }): ConversionDayRow[] {
  if (!data) return [];
  const byDay = new Map((data.days ?? []).map((d) => [d.day, d]));
  const days = daysOf(period.from, period.to);
  for (const d of byDay.keys()) if (!days.includes(d)) days.push(d);
  days.sort();
  return days.map((day) => ({ day, label: dayLabel(day), entries: byDay.get(day)?.entries ?? 0, converted: byDay.get(day)?.converted ?? 0 }));
}

/** One step of a workflow's funnel. */
export interface FunnelRow {
  nodeId: string;
  type: string;
  label: string;
  entered: number;
  completed: number;
  failed: number;
  waiting: number;
  /** entered / entries of the period. */
  share: number;
}

/**
 * funnelRows orders a workflow's steps as the journey runs (breadth-first
 * from the triggers along the edges, then any step not reached that way)
 * with the counts of the period: executions that entered the step,
 * completed or failed there, and wait there now.
 */
export function funnelRows(stats: WorkflowStats | undefined, definition: Definition | undefined): FunnelRow[] {
  if (!stats || !definition) return [];
  const nodes = definition.nodes ?? [];
  const next = new Map<string, string[]>();
  for (const e of definition.edges ?? []) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const order: string[] = [];
  const seen = new Set<string>();
  const queue = nodes.filter((n) => n.type.startsWith("trigger.")).map((n) => n.id);
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    order.push(id);
    queue.push(...(next.get(id) ?? []));
  }
  for (const n of nodes) if (!seen.has(n.id)) order.push(n.id);
  const byId = new Map<string, { type: string; label?: string }>(nodes.map((n) => [n.id, n]));
  // Steps that executions of the period reached but the draft no longer has.
  for (const id of Object.keys(stats.entered ?? {}).sort()) {
    if (!byId.has(id)) {
      byId.set(id, { type: "", label: `${id} (not in the draft)` });
      order.push(id);
    }
  }
  return order
    .filter((id) => byId.has(id))
    .map((id) => {
      const n = byId.get(id)!;
      const st = stats.nodes?.[id] ?? {};
      const entered = stats.entered?.[id] ?? 0;
      return {
        nodeId: id,
        type: n.type,
        label: n.label || id,
        entered,
        completed: st.COMPLETED ?? 0,
        failed: st.FAILED ?? 0,
        waiting: st.WAITING ?? 0,
        share: ratio(entered, stats.entries),
      };
    });
}

/** The `end` steps with the share of the period's entries that reached each one, most reached first. */
export function endShares(rows: FunnelRow[]): FunnelRow[] {
  return rows.filter((r) => r.type === "end").sort((a, b) => b.entered - a.entered);
}

/** A split's variants with what each achieved, rates as fractions of the executions that took it. */
export interface VariantRow {
  name: string;
  weight: number;
  entered: number;
  completed: number;
  failed: number;
  converted: number | null;
  completionRate: number;
  conversionRate: number | null;
  /** Whether this variant converts best (or, without a goal, completes best) among variants with entries. */
  leader: boolean;
  /** The `end` steps the variant's executions reached, most reached first. */
  ends: Array<{ nodeId: string; count: number }>;
}

/** One split node of a workflow with its variants. */
export interface SplitRow {
  nodeId: string;
  label: string;
  total: number;
  variants: VariantRow[];
}

/** splitRows shapes the split results: totals, completion and conversion rates, and the leading variant. */
export function splitRows(data: SplitAnalytics | undefined, withGoal: boolean): SplitRow[] {
  return (data?.splits ?? []).map((s) => {
    const vs = (s.variants ?? []).map((v) => {
      const converted = withGoal ? (v.converted ?? 0) : null;
      return {
        name: v.name,
        weight: v.weight,
        entered: v.entered,
        completed: v.completed,
        failed: v.failed,
        converted,
        completionRate: ratio(v.completed, v.entered),
        conversionRate: withGoal ? (v.conversionRate ?? ratio(converted ?? 0, v.entered)) : null,
        leader: false,
        ends: Object.entries(v.ends ?? {})
          .filter(([, n]) => n > 0)
          .map(([nodeId, n]) => ({ nodeId, count: n }))
          .sort((a, b) => b.count - a.count || a.nodeId.localeCompare(b.nodeId)),
      };
    });
    const score = (v: VariantRow) => (withGoal ? (v.conversionRate ?? 0) : v.completionRate);
    const contenders = vs.filter((v) => v.entered > 0);
    if (contenders.length > 1) {
      const best = Math.max(...contenders.map(score));
      const top = contenders.filter((v) => score(v) === best);
      // A tie leads nobody.
      if (top.length === 1 && best > 0) top[0]!.leader = true;
    }
    return { nodeId: s.nodeId, label: s.label || s.nodeId, total: vs.reduce((n, v) => n + v.entered, 0), variants: vs };
  });
}
