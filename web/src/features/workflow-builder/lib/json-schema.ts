/** The parts of JSON Schema (2020-12) the config form understands. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  examples?: unknown[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  "x-multiline"?: boolean;
  /** The string names a workspace credential: the form offers a picker. */
  "x-nextflow-credential"?: boolean;
}

export type FieldKind = "string" | "text" | "number" | "integer" | "boolean" | "enum" | "object" | "map" | "array-objects" | "array-strings" | "json";

const multilineKeys = /^(body|html|text|prompt|message|content|expression|filter|template|input|system)$/i;

/** The primary (non-null) type of a schema. */
export function primaryType(s: JsonSchema | undefined): string | undefined {
  if (!s) return undefined;
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  if (s.type) return s.type;
  if (s.properties) return "object";
  if (s.enum) return typeof s.enum[0] === "number" ? "number" : "string";
  return undefined;
}

/** Resolves a local "#/$defs/x" reference against the root schema. */
export function resolve(s: JsonSchema | undefined, root: JsonSchema | undefined): JsonSchema | undefined {
  if (!s?.$ref || !root) return s;
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
  const defs = (root as Record<string, unknown>)[m?.[1] ?? "$defs"] as Record<string, JsonSchema> | undefined;
  return (m && defs?.[m[2]!]) || s;
}

/** Which control renders a property. */
export function fieldKind(s: JsonSchema | undefined, key = ""): FieldKind {
  if (!s) return "json";
  if (s.oneOf || s.anyOf) {
    const alts = (s.oneOf ?? s.anyOf)!;
    if (alts.every((a) => a.const !== undefined)) return "enum";
    return "json";
  }
  if (s.enum && s.enum.length > 0) return "enum";
  const t = primaryType(s);
  switch (t) {
    case "string":
      return s["x-multiline"] || s.format === "textarea" || (multilineKeys.test(key) && s.format !== "date-time") || (s.maxLength ?? 0) > 200
        ? "text"
        : "string";
    case "number":
      return "number";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "object":
      if (s.properties && Object.keys(s.properties).length > 0) return "object";
      if (s.additionalProperties && typeof s.additionalProperties === "object" && primaryType(s.additionalProperties) === "string") return "map";
      return "json";
    case "array": {
      const it = s.items;
      const itemType = primaryType(it);
      if (itemType === "object" && it?.properties) return "array-objects";
      if (itemType === "string" && !it?.enum) return "array-strings";
      return "json";
    }
    default:
      return "json";
  }
}

/** The options of an enum-like schema as [value, label] pairs. */
export function enumOptions(s: JsonSchema): Array<[unknown, string]> {
  if (s.enum) return s.enum.map((v) => [v, String(v)]);
  const alts = s.oneOf ?? s.anyOf ?? [];
  return alts.filter((a) => a.const !== undefined).map((a) => [a.const, a.title ?? String(a.const)]);
}

/** A new, empty value for a schema (used when adding an array item). */
export function emptyValue(s: JsonSchema | undefined): unknown {
  if (!s) return null;
  if (s.default !== undefined) return structuredClone(s.default);
  switch (fieldKind(s)) {
    case "object": {
      const o: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties ?? {})) if (p.default !== undefined || (s.required ?? []).includes(k)) o[k] = emptyValue(p);
      return o;
    }
    case "array-objects":
    case "array-strings":
      return [];
    case "boolean":
      return false;
    case "number":
    case "integer":
      return s.minimum ?? 0;
    case "enum":
      return enumOptions(s)[0]?.[0] ?? "";
    case "map":
      return {};
    default:
      return primaryType(s) === "string" ? "" : null;
  }
}

/** Turns a property key into a label: "maxTokens" → "Max tokens", "missed_runs" → "Missed runs". */
export function humanize(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_\-.]+/g, " ")
    .trim()
    .toLowerCase();
  const s = words.replace(/\b(url|id|ai|cel|http|json|psid)\b/g, (w) => w.toUpperCase());
  return s.charAt(0).toUpperCase() + s.slice(1);
}
