/**
 * The condition builder's model and its two-way mapping to CEL. The
 * builder covers what marketers write by hand most: a field of the
 * context compared with a value, joined in all/any groups. Anything else
 * (arithmetic, functions, negated groups, comparisons between two fields)
 * stays an expression: fromCel says so by returning null.
 */

/** The comparisons the builder offers. */
export type Operator =
  | "=="
  | "!="
  | ">"
  | ">="
  | "<"
  | "<="
  | "contains"
  | "startsWith"
  | "endsWith"
  | "in"
  | "includes"
  | "has"
  | "!has";

/** One comparison: `field op value`. `value` is what the user typed (see literal). */
export interface Rule {
  kind: "rule";
  field: string;
  op: Operator;
  value: string;
}

/** Rules (or groups) that must all hold, or of which any must hold. */
export interface Group {
  kind: "group";
  join: "all" | "any";
  items: Array<Rule | Group>;
}

/** The operators in the order the builder lists them, with their words. */
export const OPERATORS: Array<{ op: Operator; label: string; needsValue: boolean }> = [
  { op: "==", label: "equals", needsValue: true },
  { op: "!=", label: "does not equal", needsValue: true },
  { op: ">", label: "is greater than", needsValue: true },
  { op: ">=", label: "is at least", needsValue: true },
  { op: "<", label: "is less than", needsValue: true },
  { op: "<=", label: "is at most", needsValue: true },
  { op: "contains", label: "contains text", needsValue: true },
  { op: "startsWith", label: "starts with", needsValue: true },
  { op: "endsWith", label: "ends with", needsValue: true },
  { op: "in", label: "is one of", needsValue: true },
  { op: "includes", label: "list includes", needsValue: true },
  { op: "has", label: "is set", needsValue: false },
  { op: "!has", label: "is not set", needsValue: false },
];

/** Whether an operator takes a value. */
export function needsValue(op: Operator): boolean {
  return op !== "has" && op !== "!has";
}

/** A new, empty rule. */
export function emptyRule(field = ""): Rule {
  return { kind: "rule", field, op: "==", value: "" };
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:"(?:[^"\\]|\\.)*"|\d+)\])*$/;
const KEYWORDS = new Set(["true", "false", "null", "in", "has"]);

/** Whether a field path is one the builder writes as is (dotted names, ["key"] and [0] segments). */
export function isPath(s: string): boolean {
  return PATH.test(s) && !KEYWORDS.has(s.split(/[.[]/)[0]!);
}

/**
 * literal turns what the user typed into a CEL literal: numbers, true,
 * false and null stay themselves when the operator compares values; text
 * in double quotes is taken as written (so "100" is the string 100);
 * anything else is a string.
 */
export function literal(text: string, op: Operator): string {
  const t = text.trim();
  if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) {
    try {
      return JSON.stringify(JSON.parse(t) as string);
    } catch {
      /* not a valid quoted string: quote it whole */
    }
  }
  const textOnly = op === "contains" || op === "startsWith" || op === "endsWith";
  if (!textOnly && (NUMBER.test(t) || t === "true" || t === "false" || t === "null")) return t;
  return JSON.stringify(text);
}

/** How a CEL literal shows in the value box: the inverse of literal. */
function shownLiteral(l: Lit, op: Operator): string {
  if (l.kind !== "string") return l.text;
  const s = l.value;
  const textOnly = op === "contains" || op === "startsWith" || op === "endsWith";
  const ambiguous = (!textOnly && (NUMBER.test(s.trim()) || ["true", "false", "null"].includes(s.trim()))) || s.startsWith('"') || s !== s.trim() || (op === "in" && s.includes(","));
  return ambiguous ? JSON.stringify(s) : s;
}

/** Splits an "is one of" value on commas outside double quotes. */
function listItems(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && quoted) {
      cur += c + (text[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (cur.trim() !== "") out.push(cur.trim());
  return out;
}

function ruleToCel(r: Rule): string | null {
  const field = r.field.trim();
  if (!isPath(field)) return null;
  switch (r.op) {
    case "has":
      return field.includes(".") || field.includes("[") ? `has(${field})` : null;
    case "!has":
      return field.includes(".") || field.includes("[") ? `!has(${field})` : null;
    case "contains":
    case "startsWith":
    case "endsWith":
      return `${field}.${r.op}(${literal(r.value, r.op)})`;
    case "in":
      return `${field} in [${listItems(r.value)
        .map((v) => literal(v, "=="))
        .join(", ")}]`;
    case "includes":
      return `${literal(r.value, "==")} in ${field}`;
    default:
      return `${field} ${r.op} ${literal(r.value, r.op)}`;
  }
}

/**
 * toCel writes a group as CEL: rules joined with && (all) or || (any),
 * every inner group in parentheses. Rules without a usable field, and
 * empty groups, are left out; an empty builder is "".
 */
export function toCel(g: Group): string {
  return groupToCel(g, true) ?? "";
}

function groupToCel(g: Group, root: boolean): string | null {
  const parts: string[] = [];
  for (const it of g.items) {
    const s = it.kind === "rule" ? ruleToCel(it) : groupToCel(it, false);
    if (s) parts.push(s);
  }
  if (parts.length === 0) return null;
  const body = parts.join(g.join === "all" ? " && " : " || ");
  return root ? body : `(${body})`;
}

// ---- parsing ----

type Tok =
  | { t: "id"; v: string }
  | { t: "num"; v: string }
  | { t: "str"; v: string }
  | { t: "op"; v: string };

function tokenize(src: string): Tok[] | null {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ t: "id", v: src.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(src[i + 1] ?? "") && !prevIsValue(out))) {
      const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(src.slice(i));
      if (!m) return null;
      out.push({ t: "num", v: m[0] });
      i += m[0].length;
      if (/[A-Za-z_.]/.test(src[i] ?? "")) return null; // 1u, 1.x: not for the builder
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = "";
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          const n = src[j + 1];
          const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" };
          if (n === undefined || !(n in map)) return null;
          s += map[n];
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) return null;
      out.push({ t: "str", v: s });
      i = j + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["&&", "||", "==", "!=", "<=", ">="].includes(two)) {
      out.push({ t: "op", v: two });
      i += 2;
      continue;
    }
    if ("()[],.!<>".includes(c)) {
      out.push({ t: "op", v: c });
      i++;
      continue;
    }
    return null;
  }
  return out;
}

function prevIsValue(toks: Tok[]): boolean {
  const p = toks[toks.length - 1];
  return !!p && (p.t === "id" || p.t === "num" || p.t === "str" || p.v === ")" || p.v === "]");
}

type Lit = { kind: "string"; value: string; text: string } | { kind: "other"; text: string };

class Parser {
  i = 0;
  constructor(private toks: Tok[]) {}
  peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return !!t && t.t === "op" && t.v === v;
  }
  eat(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }

  /** or := and ("||" and)*; returns the items and the join seen. */
  expr(): Group | null {
    const first = this.conj();
    if (!first) return null;
    if (!this.isOp("||")) return first;
    const items: Array<Rule | Group> = [unwrap(first)];
    while (this.eat("||")) {
      const next = this.conj();
      if (!next) return null;
      items.push(unwrap(next));
    }
    return { kind: "group", join: "any", items };
  }

  /** and := term ("&&" term)* */
  conj(): Group | null {
    const items: Array<Rule | Group> = [];
    do {
      const t = this.term();
      if (!t) return null;
      items.push(t);
    } while (this.eat("&&"));
    return { kind: "group", join: "all", items };
  }

  term(): Rule | Group | null {
    if (this.eat("(")) {
      const g = this.expr();
      if (!g || !this.eat(")")) return null;
      return g;
    }
    if (this.isOp("!")) {
      const t = this.peek(1);
      if (t?.t === "id" && t.v === "has") {
        this.i++;
        const r = this.has();
        return r && { ...r, op: "!has" };
      }
      return null; // negations other than !has(...) stay expressions
    }
    const t = this.peek();
    if (t?.t === "id" && t.v === "has" && this.isOp("(", 1)) return this.has();
    if (t && (t.t === "str" || t.t === "num" || (t.t === "id" && ["true", "false", "null"].includes(t.v)))) {
      // "value" in list.field
      const lit = this.literal();
      const kw = this.peek();
      if (!lit || kw?.t !== "id" || kw.v !== "in") return null;
      this.i++;
      const field = this.path();
      if (!field) return null;
      return { kind: "rule", field, op: "includes", value: shownLiteral(lit, "includes") };
    }
    const field = this.path();
    if (!field) return null;
    // field.contains("x") and friends: the last path segment is the method.
    if (this.isOp("(")) {
      const dot = field.lastIndexOf(".");
      const method = field.slice(dot + 1);
      if (dot < 0 || !["contains", "startsWith", "endsWith"].includes(method)) return null;
      this.i++;
      const lit = this.literal();
      if (!lit || lit.kind !== "string" || !this.eat(")")) return null;
      const op = method as Operator;
      return { kind: "rule", field: field.slice(0, dot), op, value: shownLiteral(lit, op) };
    }
    const opTok = this.peek();
    if (opTok?.t === "id" && opTok.v === "in") {
      this.i++;
      if (!this.eat("[")) return null;
      const vals: string[] = [];
      if (!this.isOp("]")) {
        do {
          const l = this.literal();
          if (!l) return null;
          vals.push(l.kind === "string" && (l.value.includes(",") || l.value !== l.value.trim() || l.value.startsWith('"') || NUMBER.test(l.value) || ["true", "false", "null"].includes(l.value)) ? JSON.stringify(l.value) : l.kind === "string" ? l.value : l.text);
        } while (this.eat(","));
      }
      if (!this.eat("]")) return null;
      return { kind: "rule", field, op: "in", value: vals.join(", ") };
    }
    if (opTok?.t !== "op" || !["==", "!=", "<", "<=", ">", ">="].includes(opTok.v)) return null;
    this.i++;
    const lit = this.literal();
    if (!lit) return null;
    const op = opTok.v as Operator;
    return { kind: "rule", field, op, value: shownLiteral(lit, op) };
  }

  has(): Rule | null {
    this.i++; // has
    if (!this.eat("(")) return null;
    const field = this.path();
    if (!field || !field.includes(".") || !this.eat(")")) return null;
    return { kind: "rule", field, op: "has", value: "" };
  }

  /** A path: name(.name | ["key"] | [0])*, written back normalised. */
  path(): string | null {
    const t = this.peek();
    if (t?.t !== "id" || KEYWORDS.has(t.v)) return null;
    this.i++;
    let s = t.v;
    for (;;) {
      if (this.isOp(".") && this.peek(1)?.t === "id") {
        s += "." + (this.peek(1) as { v: string }).v;
        this.i += 2;
      } else if (this.isOp("[")) {
        const k = this.peek(1);
        if (!k || (k.t !== "str" && k.t !== "num") || !this.isOp("]", 2)) return null;
        if (k.t === "num" && !/^\d+$/.test(k.v)) return null;
        s += k.t === "str" ? `[${JSON.stringify(k.v)}]` : `[${k.v}]`;
        this.i += 3;
      } else return s;
    }
  }

  literal(): Lit | null {
    const t = this.peek();
    if (!t) return null;
    if (t.t === "str") {
      this.i++;
      return { kind: "string", value: t.v, text: JSON.stringify(t.v) };
    }
    if (t.t === "num") {
      this.i++;
      return { kind: "other", text: t.v };
    }
    if (t.t === "id" && ["true", "false", "null"].includes(t.v)) {
      this.i++;
      return { kind: "other", text: t.v };
    }
    return null;
  }
}

/** A group of one item in parentheses stays a group; the top level's single rule is returned as the rule. */
function unwrap(g: Group): Rule | Group {
  return g.items.length === 1 ? g.items[0]! : g;
}

/**
 * fromCel reads an expression back into the builder, or returns null when
 * it is too complex to show as a form (then the user edits the CEL). An
 * empty expression is an empty builder.
 */
export function fromCel(src: string): Group | null {
  if (src.trim() === "") return { kind: "group", join: "all", items: [] };
  if (src.length > 4000) return null;
  const toks = tokenize(src);
  if (!toks || toks.length === 0) return null;
  const p = new Parser(toks);
  const g = p.expr();
  if (!g || !p.done()) return null;
  // A parenthesised whole is the same condition: show its group at the top.
  if (g.items.length === 1 && g.items[0]!.kind === "group") return g.items[0] as Group;
  return g;
}
