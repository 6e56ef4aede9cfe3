import type { ContactQuery } from "@/entities/contact";

/** Attribute comparisons the contacts API understands. */
export const ATTRIBUTE_OPS = [
  ["eq", "="],
  ["ne", "≠"],
  ["gt", ">"],
  ["gte", "≥"],
  ["lt", "<"],
  ["lte", "≤"],
  ["exists", "exists"],
] as const;
export type AttributeOp = (typeof ATTRIBUTE_OPS)[number][0];

export type SubscriptionState = "subscribed" | "unsubscribed" | "never";

/** One attribute condition as typed: key (dots address nested objects), comparison, value. */
export interface AttributeFilter {
  key: string;
  op: AttributeOp;
  value: string;
}

/** Dates as an <input type="date"> holds them (yyyy-mm-dd, local), both ends inclusive. */
export interface DateRange {
  from: string;
  to: string;
}

/** What the contacts page filters by, as the form holds it. */
export interface ContactFilter {
  q: string;
  attributes: AttributeFilter[];
  subscription: { channel: string; state: SubscriptionState | "" };
  created: DateRange;
  lastSeen: DateRange;
}

export const emptyContactFilter: ContactFilter = {
  q: "",
  attributes: [],
  subscription: { channel: "email", state: "" },
  created: { from: "", to: "" },
  lastSeen: { from: "", to: "" },
};

/** Local midnight of a yyyy-mm-dd date plus `days`, as RFC 3339; undefined for an empty or malformed date. */
function dayStart(date: string, days = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + days);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** key:op[:value]; undefined while the row is incomplete (no key, or no value for a comparison). */
export function attributeParam(a: AttributeFilter): string | undefined {
  const key = a.key.trim();
  if (!key) return undefined;
  if (a.op === "exists") return `${key}:exists`;
  if (a.value === "") return undefined;
  return `${key}:${a.op}:${a.value}`;
}

/**
 * toContactQuery maps the form to GET /api/v1/contacts parameters: q
 * trimmed, one attr per complete attribute row, subscription as
 * channel:state, and the inclusive date ranges as [after, before) instants
 * (the "to" day is included by asking for before the next local midnight).
 * Empty parts are left out, so an empty form lists every contact.
 */
export function toContactQuery(f: ContactFilter): ContactQuery {
  const q: ContactQuery = {};
  const search = f.q.trim();
  if (search) q.q = search;
  const attr = f.attributes.map(attributeParam).filter((a): a is string => !!a);
  if (attr.length) q.attr = attr;
  if (f.subscription.state && f.subscription.channel.trim()) q.subscription = [`${f.subscription.channel.trim()}:${f.subscription.state}`];
  const set = (k: keyof ContactQuery, v?: string) => v && ((q as Record<string, unknown>)[k] = v);
  set("createdAfter", dayStart(f.created.from));
  set("createdBefore", dayStart(f.created.to, 1));
  set("lastSeenAfter", dayStart(f.lastSeen.from));
  set("lastSeenBefore", dayStart(f.lastSeen.to, 1));
  return q;
}

/** How many filters (besides the search text) narrow the list: the count on the Filters button. */
export function activeFilterCount(f: ContactFilter): number {
  const q = toContactQuery(f);
  return (q.attr?.length ?? 0) + (q.subscription?.length ?? 0) + (f.created.from || f.created.to ? 1 : 0) + (f.lastSeen.from || f.lastSeen.to ? 1 : 0);
}
