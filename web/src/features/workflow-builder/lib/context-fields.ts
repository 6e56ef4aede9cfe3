import type { BuilderEdge, BuilderNode } from "../model/types";

/** The contact's own fields, as the engine puts them in the context. */
const CONTACT_FIELDS = ["email", "name", "phone", "externalId", "timezone", "locale", "createdAt", "lastSeenAt"];

/**
 * contextFields lists the paths a condition at `nodeId` can read, from
 * what the builder knows: the trigger's data (its input, or the event and
 * its properties), the contact's fields and attribute names (those seen
 * on contacts and those the journey sets), each step before this one, and
 * the execution. Paths are offered, not enforced: the user may type any.
 */
export function contextFields(
  nodeId: string,
  nodes: readonly BuilderNode[],
  edges: readonly BuilderEdge[],
  known: { attributes?: readonly string[]; eventProperties?: readonly string[] } = {},
): string[] {
  const out = new Set<string>();
  const before = upstream(nodeId, edges);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const triggers = nodes.filter((n) => n.data.type.startsWith("trigger.") && (before.has(n.id) || before.size === 0));
  for (const t of triggers.length ? triggers : nodes.filter((n) => n.data.type.startsWith("trigger."))) {
    if (t.data.type === "trigger.event") {
      out.add("trigger.event.name");
      for (const p of known.eventProperties ?? []) out.add(`trigger.event.properties${seg(p)}`);
      out.add("trigger.event.timestamp");
    } else out.add("trigger.input");
  }
  for (const f of CONTACT_FIELDS) out.add(`contact.${f}`);
  const attrs = new Set(known.attributes ?? []);
  for (const n of nodes) {
    const a = n.data.type === "set_attribute" ? n.data.config.attributes : undefined;
    if (a && typeof a === "object") for (const k of Object.keys(a)) attrs.add(k);
  }
  for (const k of [...attrs].sort()) out.add(`contact.attributes${seg(k)}`);
  out.add("contact.subscriptions.email.state");
  for (const id of before) {
    const n = byId.get(id);
    if (!n || n.data.type.startsWith("trigger.") || id === nodeId) continue;
    out.add(`steps${seg(id)}.output`);
  }
  out.add("execution.id");
  return [...out];
}

/** A key as a path segment: ".name" for a name, ["key"] for anything else. */
function seg(k: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/** Every node with a path to `id` (not `id` itself unless on a loop). */
function upstream(id: string, edges: readonly BuilderEdge[]): Set<string> {
  const seen = new Set<string>();
  const queue = [id];
  while (queue.length) {
    const cur = queue.shift()!;
    for (const e of edges) {
      if (e.target === cur && !seen.has(e.source)) {
        seen.add(e.source);
        queue.push(e.source);
      }
    }
  }
  return seen;
}
