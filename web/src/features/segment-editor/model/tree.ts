import { SEGMENT_MAX_CONDITIONS, SEGMENT_MAX_DEPTH, unitSeconds, windowParts, type SegmentCondition, type WindowUnit } from "@/entities/segment";

/**
 * The segment editor's form: the condition tree as the user edits it, with
 * a stable key per node (React keys, error placement) and every number as
 * the text typed. toDefinition turns it into the API's SegmentCondition
 * and records which node each API path ("all[1].any[0]") came from, so a
 * 422 from the server lands on the condition it names.
 */

/** How a group combines its items: all, any, none of them (not any) or not all of them. */
export type Join = "all" | "any" | "none" | "notAll";
export const JOINS: { value: Join; label: string }[] = [
  { value: "all", label: "all" },
  { value: "any", label: "any" },
  { value: "none", label: "none" },
  { value: "notAll", label: "not all" },
];

export type AttributeOp = "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "exists" | "notExists";
export const ATTRIBUTE_OPS: { value: AttributeOp; label: string }[] = [
  { value: "eq", label: "=" },
  { value: "ne", label: "≠" },
  { value: "gt", label: ">" },
  { value: "gte", label: "≥" },
  { value: "lt", label: "<" },
  { value: "lte", label: "≤" },
  { value: "exists", label: "is set" },
  { value: "notExists", label: "is not set" },
];

export type FieldOp = "eq" | "ne" | "exists" | "notExists";
export const FIELD_OPS: { value: FieldOp; label: string }[] = [
  { value: "eq", label: "is" },
  { value: "ne", label: "is not" },
  { value: "exists", label: "is set" },
  { value: "notExists", label: "is not set" },
];

/** How an event count compares; never is "count = 0". */
export type Quantifier = "gte" | "lte" | "eq" | "gt" | "lt" | "ne" | "never";
export const QUANTIFIERS: { value: Quantifier; label: string }[] = [
  { value: "gte", label: "at least" },
  { value: "lte", label: "at most" },
  { value: "eq", label: "exactly" },
  { value: "gt", label: "more than" },
  { value: "lt", label: "fewer than" },
  { value: "ne", label: "not exactly" },
  { value: "never", label: "not at all" },
];

export type LeafKind = "attribute" | "field" | "subscription" | "performed" | "time";
export const LEAF_KINDS: { value: LeafKind; label: string }[] = [
  { value: "attribute", label: "Attribute" },
  { value: "performed", label: "Did an event" },
  { value: "subscription", label: "Subscription" },
  { value: "field", label: "Contact field" },
  { value: "time", label: "Created or last seen" },
];

export interface GroupNode {
  key: string;
  kind: "group";
  join: Join;
  items: EditorNode[];
}
export interface AttributeLeaf {
  key: string;
  kind: "attribute";
  attrKey: string;
  op: AttributeOp;
  value: string;
}
export interface FieldLeaf {
  key: string;
  kind: "field";
  field: string;
  op: FieldOp;
  value: string;
}
export interface SubscriptionLeaf {
  key: string;
  kind: "subscription";
  channel: string;
  state: string;
}
export interface PerformedLeaf {
  key: string;
  kind: "performed";
  event: string;
  quant: Quantifier;
  count: string;
  /** Whether the count looks at a window ending now, or at all events ever. */
  windowed: boolean;
  amount: string;
  unit: WindowUnit;
}
export interface TimeLeaf {
  key: string;
  kind: "time";
  field: "createdAt" | "lastSeenAt";
  mode: "within" | "olderThan";
  amount: string;
  unit: WindowUnit;
}
export type Leaf = AttributeLeaf | FieldLeaf | SubscriptionLeaf | PerformedLeaf | TimeLeaf;
export type EditorNode = GroupNode | Leaf;

let seq = 0;
/** A key unique in this page's life. */
export function nextKey(): string {
  seq += 1;
  return `n${seq}`;
}

/** A new condition of a kind, with the most common choices made. */
export function newLeaf(kind: LeafKind, key = nextKey()): Leaf {
  switch (kind) {
    case "attribute":
      return { key, kind, attrKey: "", op: "eq", value: "" };
    case "field":
      return { key, kind, field: "email", op: "exists", value: "" };
    case "subscription":
      return { key, kind, channel: "email", state: "subscribed" };
    case "performed":
      return { key, kind, event: "", quant: "gte", count: "1", windowed: true, amount: "30", unit: "days" };
    case "time":
      return { key, kind, field: "lastSeenAt", mode: "olderThan", amount: "14", unit: "days" };
  }
}

export function newGroup(join: Join = "all", items: EditorNode[] = [newLeaf("attribute")]): GroupNode {
  return { key: nextKey(), kind: "group", join, items };
}

// ---------- values ----------

const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * parseAttributeValue reads what was typed the way the contacts filter
 * does: true/false are booleans, a number is a number, "quoted" text is
 * the text inside the quotes (to compare "30" as a string), else the text.
 */
export function parseAttributeValue(text: string): string | number | boolean {
  const t = text.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (NUMBER.test(t)) return Number(t);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const s: unknown = JSON.parse(t);
      if (typeof s === "string") return s;
    } catch {
      return t.slice(1, -1);
    }
  }
  return text;
}

/** The text that parseAttributeValue reads back as v. */
export function attributeValueText(v: unknown): string {
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "string") {
    const plain = parseAttributeValue(v);
    return plain === v && !(v.startsWith('"') && v.endsWith('"') && v.length >= 2) ? v : JSON.stringify(v);
  }
  return v === undefined || v === null ? "" : JSON.stringify(v);
}

/** How a typed value compares: "text", "number" or "boolean". */
export function valueType(text: string): "text" | "number" | "boolean" {
  const v = parseAttributeValue(text);
  return typeof v === "boolean" ? "boolean" : typeof v === "number" ? "number" : "text";
}

/** A whole number ≥ min typed as text, or null. */
function wholeNumber(text: string, min: number): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && Number.isSafeInteger(n) ? n : null;
}

// ---------- from the API ----------

function fromWindow(seconds: number): { amount: string; unit: WindowUnit } {
  const { amount, unit } = windowParts(seconds);
  return { amount: String(amount), unit };
}

function leafFrom(c: SegmentCondition, negated: boolean): Leaf | null {
  const key = nextKey();
  if (c.attribute) {
    const a = c.attribute;
    if (negated) return a.op === "exists" ? { key, kind: "attribute", attrKey: a.key, op: "notExists", value: "" } : null;
    return { key, kind: "attribute", attrKey: a.key, op: (a.op as AttributeOp) || "eq", value: a.op === "exists" ? "" : attributeValueText(a.value) };
  }
  if (c.field) {
    const f = c.field;
    if (negated) return f.op === "exists" ? { key, kind: "field", field: f.field, op: "notExists", value: "" } : null;
    return { key, kind: "field", field: f.field, op: (f.op as FieldOp) || "exists", value: f.value ?? "" };
  }
  if (negated) return null;
  if (c.subscription) return { key, kind: "subscription", channel: c.subscription.channel, state: c.subscription.state };
  if (c.performed) {
    const p = c.performed;
    const w = p.withinSeconds ? fromWindow(p.withinSeconds) : { amount: "30", unit: "days" as WindowUnit };
    const never = p.op === "eq" && p.count === 0;
    return {
      key,
      kind: "performed",
      event: p.event,
      quant: never ? "never" : ((p.op as Quantifier) ?? "gte"),
      count: never ? "1" : String(p.count),
      windowed: !!p.withinSeconds,
      ...w,
    };
  }
  if (c.time) {
    const t = c.time;
    const within = !!t.withinSeconds;
    return { key, kind: "time", field: t.field === "createdAt" ? "createdAt" : "lastSeenAt", mode: within ? "within" : "olderThan", ...fromWindow((within ? t.withinSeconds : t.olderThanSeconds) ?? 0) };
  }
  return null;
}

function nodeFrom(c: SegmentCondition): EditorNode {
  if (c.all) return { key: nextKey(), kind: "group", join: "all", items: c.all.map(nodeFrom) };
  if (c.any) return { key: nextKey(), kind: "group", join: "any", items: c.any.map(nodeFrom) };
  if (c.not) {
    const n = c.not;
    if (n.any) return { key: nextKey(), kind: "group", join: "none", items: n.any.map(nodeFrom) };
    if (n.all) return { key: nextKey(), kind: "group", join: "notAll", items: n.all.map(nodeFrom) };
    const negatedLeaf = leafFrom(n, true);
    if (negatedLeaf) return negatedLeaf;
    return { key: nextKey(), kind: "group", join: "none", items: [nodeFrom(n)] };
  }
  return leafFrom(c, false) ?? newLeaf("attribute");
}

/** The form of a stored definition; the root is always a group. */
export function fromDefinition(c: SegmentCondition | null | undefined): GroupNode {
  if (!c) return newGroup("all");
  const n = nodeFrom(c);
  return n.kind === "group" ? n : { key: nextKey(), kind: "group", join: "all", items: [n] };
}

// ---------- to the API ----------

export interface Serialized {
  /** The definition, or null while a condition is incomplete or a group empty. */
  definition: SegmentCondition | null;
  /** API path ("" is the root) → the key of the node it came from. */
  paths: Map<string, string>;
  /** Keys of conditions (and empty groups) that are not filled in yet. */
  incomplete: Set<string>;
  /** Node key → the API depth of its children (groups) or of itself (conditions). */
  depth: Map<string, number>;
  conditions: number;
}

const join = (path: string, part: string) => (path ? `${path}.${part}` : part);

function leafTo(n: Leaf, incomplete: Set<string>): SegmentCondition {
  const miss = () => (incomplete.add(n.key), undefined);
  switch (n.kind) {
    case "attribute": {
      const key = n.attrKey.trim();
      if (!key) miss();
      if (n.op === "exists" || n.op === "notExists") {
        const a = { attribute: { key, op: "exists" } };
        return n.op === "notExists" ? { not: a } : a;
      }
      if (n.value.trim() === "") miss();
      return { attribute: { key, op: n.op, value: parseAttributeValue(n.value) } };
    }
    case "field": {
      if (n.op === "exists" || n.op === "notExists") {
        const f = { field: { field: n.field, op: "exists" } };
        return n.op === "notExists" ? { not: f } : f;
      }
      if (n.value.trim() === "") miss();
      return { field: { field: n.field, op: n.op, value: n.value.trim() } };
    }
    case "subscription":
      return { subscription: { channel: n.channel, state: n.state } };
    case "performed": {
      const event = n.event.trim();
      if (!event) miss();
      const count = n.quant === "never" ? 0 : wholeNumber(n.count, 0);
      if (count === null) miss();
      const amount = n.windowed ? wholeNumber(n.amount, 1) : 0;
      if (amount === null) miss();
      const p: NonNullable<SegmentCondition["performed"]> = { event, op: n.quant === "never" ? "eq" : n.quant, count: count ?? 0 };
      if (n.windowed && amount) p.withinSeconds = amount * unitSeconds(n.unit);
      return { performed: p };
    }
    case "time": {
      const amount = wholeNumber(n.amount, 1);
      if (amount === null) miss();
      const s = (amount ?? 0) * unitSeconds(n.unit);
      return { time: n.mode === "within" ? { field: n.field, withinSeconds: s } : { field: n.field, olderThanSeconds: s } };
    }
  }
}

/**
 * toDefinition serializes the form. A "none" or "not all" group of one
 * item is written as a plain not of it; conditions "is not set" are a not
 * around an exists test. Paths follow the server's error messages.
 */
export function toDefinition(root: GroupNode): Serialized {
  const paths = new Map<string, string>();
  const incomplete = new Set<string>();
  const depth = new Map<string, number>();
  let conditions = 0;
  const walk = (n: EditorNode, path: string, level: number): SegmentCondition => {
    paths.set(path, n.key);
    if (n.kind !== "group") {
      conditions += 1;
      depth.set(n.key, level);
      const c = leafTo(n, incomplete);
      if (c.not) paths.set(join(path, "not"), n.key);
      return c;
    }
    if (n.items.length === 0) incomplete.add(n.key);
    const negated = n.join === "none" || n.join === "notAll";
    if (negated && n.items.length === 1) {
      depth.set(n.key, level + 1);
      return { not: walk(n.items[0]!, join(path, "not"), level + 1) };
    }
    const op = n.join === "any" || n.join === "none" ? "any" : "all";
    const base = negated ? join(path, "not") : path;
    if (negated) paths.set(base, n.key);
    const childLevel = level + (negated ? 2 : 1);
    depth.set(n.key, childLevel);
    const items = n.items.map((x, i) => walk(x, join(base, `${op}[${i}]`), childLevel));
    const group: SegmentCondition = op === "any" ? { any: items } : { all: items };
    return negated ? { not: group } : group;
  };
  const definition = walk(root, "", 1);
  const ok = incomplete.size === 0 && conditions > 0 && conditions <= SEGMENT_MAX_CONDITIONS;
  return { definition: ok ? definition : null, paths, incomplete, depth, conditions };
}

/** Whether a group may take one more nested group within the server's depth bound. */
export function canNest(s: Serialized, groupKey: string): boolean {
  return (s.depth.get(groupKey) ?? SEGMENT_MAX_DEPTH) + 1 <= SEGMENT_MAX_DEPTH;
}

// ---------- errors ----------

/**
 * errorTarget finds the node a server error names: the path in the
 * message ("invalid segment: all[1]: …", "invalid segment: the root: …") or in
 * a field location ("body.definition.all[1].performed.count"), trimmed
 * from the end until it is a path of the form. Returns the node's key
 * and the message without the prefix, or null when no node is named.
 */
export function errorTarget(
  err: { detail?: string; errors?: { location?: string; message: string }[] },
  paths: Map<string, string>,
): { key: string; message: string } | null {
  const resolve = (path: string): string | null => {
    let p = path;
    for (;;) {
      const k = paths.get(p);
      if (k) return k;
      if (!p) return null;
      const cut = Math.max(p.lastIndexOf("."), 0);
      p = p.slice(0, cut);
    }
  };
  const fromMessage = (msg: string) => {
    const m = /invalid segment(?: definition)?: (the root|[a-z]+(?:\[\d+\])?(?:\.[a-z]+(?:\[\d+\])?)*): (.*)$/s.exec(msg);
    if (!m) return null;
    const key = resolve(m[1] === "the root" ? "" : m[1]!);
    return key ? { key, message: sentence(m[2]!) } : null;
  };
  if (err.detail) {
    const hit = fromMessage(err.detail);
    if (hit) return hit;
  }
  for (const e of err.errors ?? []) {
    const hit = fromMessage(e.message);
    if (hit) return hit;
    const loc = e.location ?? "";
    if (loc.startsWith("body.definition.")) {
      const key = resolve(loc.slice("body.definition.".length));
      if (key) return { key, message: sentence(e.message) };
    }
  }
  return null;
}

function sentence(s: string): string {
  const t = s.trim();
  return t ? t[0]!.toUpperCase() + t.slice(1) : t;
}

// ---------- edits ----------

/** The tree with the node of key replaced by what f returns (null removes it). */
export function updateNode(root: GroupNode, key: string, f: (n: EditorNode) => EditorNode | null): GroupNode {
  const visit = (n: EditorNode): EditorNode | null => {
    if (n.key === key) return f(n);
    if (n.kind !== "group") return n;
    const items = n.items.map(visit).filter((x): x is EditorNode => x !== null);
    return { ...n, items };
  };
  return (visit(root) as GroupNode | null) ?? newGroup("all", []);
}
