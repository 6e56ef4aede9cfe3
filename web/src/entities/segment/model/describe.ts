import { COMPARE_LABELS, COUNT_LABELS, SEGMENT_FIELDS, formatWindow, type SegmentCondition } from "./types";

/** An attribute or field value as the sentence shows it: strings quoted, the rest as JSON. */
function literal(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : v === undefined ? "—" : JSON.stringify(v);
}

function fieldLabel(f: string): string {
  return SEGMENT_FIELDS.find((x) => x.value === f)?.label.toLowerCase() ?? f;
}

function times(n: number): string {
  return n === 1 ? "1 time" : `${n.toLocaleString("en")} times`;
}

/** A leaf in words, or null when c is a group or a negation. */
function leaf(c: SegmentCondition): string | null {
  if (c.attribute) {
    const a = c.attribute;
    if (a.op === "exists") return `${a.key} is set`;
    return `${a.key} ${COMPARE_LABELS[a.op] ?? a.op} ${literal(a.value)}`;
  }
  if (c.field) {
    const f = c.field;
    if (f.op === "exists") return `${fieldLabel(f.field)} is set`;
    return `${fieldLabel(f.field)} ${f.op === "ne" ? "is not" : "is"} ${literal(f.value ?? "")}`;
  }
  if (c.subscription) {
    const s = c.subscription;
    if (s.state === "subscribed") return `subscribed to ${s.channel}`;
    if (s.state === "unsubscribed") return `unsubscribed from ${s.channel}`;
    return `never subscribed to ${s.channel}`;
  }
  if (c.performed) {
    const p = c.performed;
    const when = p.withinSeconds ? `in the last ${formatWindow(p.withinSeconds)}` : "ever";
    if (p.op === "eq" && p.count === 0) return `did not do ${p.event} ${p.withinSeconds ? when : "ever"}`;
    return `did ${p.event} ${COUNT_LABELS[p.op] ?? p.op} ${times(p.count)} ${when}`;
  }
  if (c.time) {
    const t = c.time;
    const what = t.field === "lastSeenAt" ? "last seen" : "created";
    if (t.withinSeconds) return `${what} in the last ${formatWindow(t.withinSeconds)}`;
    return `${what} more than ${formatWindow(t.olderThanSeconds ?? 0)} ago${t.field === "lastSeenAt" ? " (or never)" : ""}`;
  }
  return null;
}

/**
 * describeSegment says a definition in one plain sentence: "plan = "PRO"
 * and did order.completed at least 2 times in the last 30 days". Nested
 * groups are parenthesised; a negated attribute test reads "is not set".
 */
export function describeSegment(c: SegmentCondition | undefined | null): string {
  if (!c) return "";
  const inner = (x: SegmentCondition): string => {
    const s = describeSegment(x);
    return x.all?.length || x.any?.length ? (s.includes(" and ") || s.includes(" or ") ? `(${s})` : s) : s;
  };
  if (c.all) return c.all.map(inner).join(" and ");
  if (c.any) return c.any.map(inner).join(" or ");
  if (c.not) {
    const n = c.not;
    if (n.attribute?.op === "exists") return `${n.attribute.key} is not set`;
    if (n.field?.op === "exists") return `${fieldLabel(n.field.field)} is not set`;
    if (n.any) return `none of (${n.any.map(inner).join(", ")})`;
    return `not ${inner(n).startsWith("(") ? inner(n) : `(${inner(n)})`}`;
  }
  return leaf(c) ?? "";
}

/** How many leaf conditions a definition has. */
export function countConditions(c: SegmentCondition | undefined | null): number {
  if (!c) return 0;
  if (c.all) return c.all.reduce((n, x) => n + countConditions(x), 0);
  if (c.any) return c.any.reduce((n, x) => n + countConditions(x), 0);
  if (c.not) return countConditions(c.not);
  return 1;
}
