import type { Handle, NodeType } from "@/shared/api";

/** The handle name of a node's single output; "" means the same. */
export const DEFAULT_HANDLE = "out";

/** Whether a type is a trigger (nothing may connect into it). */
export function isTrigger(type: string): boolean {
  return type.startsWith("trigger.");
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== "") : [];
}

/**
 * outputHandles lists the output handles a node shows: the type's static
 * outputs, the dynamic ones its config implies (one per split variant, one
 * per ai.classify label plus "other"), and "error" when the type can fail.
 * A node of type "end" has none.
 */
export function outputHandles(nodeType: NodeType | undefined, config: Record<string, unknown> | null | undefined): Handle[] {
  if (!nodeType) return [{ id: DEFAULT_HANDLE, label: "" }];
  const out: Handle[] = [];
  const cfg = config ?? {};
  if (nodeType.type === "split") {
    const variants = Array.isArray(cfg.variants) ? cfg.variants : [];
    for (const v of variants) {
      const name = v && typeof v === "object" ? (v as Record<string, unknown>).name : undefined;
      if (typeof name === "string" && name) out.push({ id: name, label: name });
    }
  } else if (nodeType.type === "ai.classify") {
    for (const l of strings(cfg.labels)) out.push({ id: l, label: l });
    out.push({ id: "other", label: "other" });
  } else {
    for (const h of nodeType.outputs ?? []) if (h.id !== "error") out.push(h);
  }
  if (nodeType.canFail && !out.some((h) => h.id === "error")) out.push({ id: "error", label: "error" });
  const seen = new Set<string>();
  return out.filter((h) => (seen.has(h.id) ? false : (seen.add(h.id), true)));
}

/** Normalises a handle id for comparison: "" and "out" are the same handle. */
export function sameHandle(a: string | null | undefined, b: string | null | undefined): boolean {
  const n = (h: string | null | undefined) => (!h || h === DEFAULT_HANDLE ? DEFAULT_HANDLE : h);
  return n(a) === n(b);
}
