import type { Definition } from "@/shared/api";

/** What an exported workflow file holds (the body of GET /workflows/{id}/export). */
export interface WorkflowFile {
  name: string;
  description?: string;
  definition: Definition;
}

/** The largest file accepted before it is read (the API bounds definitions far below this). */
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/**
 * parseWorkflowFile reads an exported workflow: a JSON object with a name
 * and a definition of nodes and edges. It answers in words what is wrong
 * with a file that is not one; the server checks the definition itself.
 */
export function parseWorkflowFile(text: string, fileName: string): { ok: true; value: WorkflowFile } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: `${fileName} is not JSON. Choose a file exported from NextFlow (Export on the workflows list).` };
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { ok: false, error: `${fileName} is not a workflow export: it holds no object.` };
  const o = raw as Record<string, unknown>;
  // A bare definition ({nodes, edges}) is accepted too, named after the file.
  const def = (o.definition ?? (Array.isArray(o.nodes) ? { nodes: o.nodes, edges: o.edges ?? [] } : undefined)) as Record<string, unknown> | undefined;
  if (!def || typeof def !== "object") return { ok: false, error: `${fileName} has no "definition": it is not a workflow export.` };
  if (!Array.isArray(def.nodes)) return { ok: false, error: `The definition in ${fileName} has no "nodes" list.` };
  if (def.edges !== undefined && !Array.isArray(def.edges)) return { ok: false, error: `The definition in ${fileName} has an "edges" value that is not a list.` };
  const base = fileName.replace(/\.(nextflow\.)?json$/i, "").trim();
  const name = typeof o.name === "string" && o.name.trim() ? o.name.trim() : base || "Imported workflow";
  return {
    ok: true,
    value: {
      name: name.slice(0, 200),
      description: typeof o.description === "string" ? o.description.slice(0, 2000) : undefined,
      definition: { nodes: def.nodes, edges: (def.edges as unknown[]) ?? [] } as Definition,
    },
  };
}

/** fileNameOf is a download name for a workflow: its name in lower case with dashes. */
export function fileNameOf(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return `${slug || "workflow"}.nextflow.json`;
}
