import type { ValidationProblem } from "@/shared/api";

export interface ProblemIndex {
  byNode: Map<string, ValidationProblem[]>;
  byEdge: Map<string, ValidationProblem[]>;
  general: ValidationProblem[];
}

/** Sorts validation problems onto the nodes and edges they concern; the rest are general. */
export function indexProblems(problems: readonly ValidationProblem[] | null | undefined): ProblemIndex {
  const byNode = new Map<string, ValidationProblem[]>();
  const byEdge = new Map<string, ValidationProblem[]>();
  const general: ValidationProblem[] = [];
  for (const p of problems ?? []) {
    if (p.edgeId) byEdge.set(p.edgeId, [...(byEdge.get(p.edgeId) ?? []), p]);
    else if (p.nodeId) byNode.set(p.nodeId, [...(byNode.get(p.nodeId) ?? []), p]);
    else general.push(p);
  }
  return { byNode, byEdge, general };
}

/** Problems of a node's config keyed by the top-level field its JSON pointer names ("/url" → "url"). */
export function problemsByField(problems: readonly ValidationProblem[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems ?? []) {
    if (!p.path) continue;
    const field = p.path.replace(/^\/?(config\/)?/, "").split("/")[0];
    if (field && !out[field]) out[field] = p.message;
  }
  return out;
}
