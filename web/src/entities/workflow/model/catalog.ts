import type { NodeType } from "@/shared/api";

const categoryOrder = ["trigger", "triggers", "message", "messaging", "channels", "flow", "logic", "data", "ai", "integrations"];

/** Groups node types by category for the palette, in a stable, sensible order. */
export function groupByCategory(types: NodeType[]): Array<{ category: string; types: NodeType[] }> {
  const groups = new Map<string, NodeType[]>();
  for (const t of types) {
    const c = t.category || "other";
    groups.set(c, [...(groups.get(c) ?? []), t]);
  }
  const rank = (c: string) => {
    const i = categoryOrder.indexOf(c.toLowerCase());
    return i === -1 ? categoryOrder.length : i;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([category, ts]) => ({ category, types: ts.sort((a, b) => a.label.localeCompare(b.label)) }));
}

/** A short, readable summary of a node's config for the canvas card. */
export function configSummary(type: string, config: Record<string, unknown> | null | undefined): string {
  const c = config ?? {};
  const s = (k: string) => (typeof c[k] === "string" ? (c[k] as string) : "");
  switch (type) {
    case "delay":
      return s("duration") ? `Wait ${s("duration")}` : s("until") ? `Until ${s("until")}` : "";
    case "condition":
      return s("expression");
    case "trigger.event":
    case "wait_for_event":
      return s("event");
    case "trigger.schedule":
      return [s("cron"), s("timezone")].filter(Boolean).join(" · ");
    case "http.request":
      return [s("method"), s("url")].filter(Boolean).join(" ");
    case "email.send":
      return s("subject") || s("templateId");
    case "ai.generate":
      return s("prompt");
    default: {
      const first = Object.values(c).find((v) => typeof v === "string" && v);
      return typeof first === "string" ? first : "";
    }
  }
}
