"use client";
import { memo, useId, useState } from "react";
import { Braces, ListChecks, Plus, Trash2 } from "lucide-react";
import { Button, Input, Select, Textarea } from "@/shared/ui";
import { cn } from "@/shared/lib";
import { emptyRule, fromCel, needsValue, OPERATORS, toCel, type Group, type Operator, type Rule } from "../lib/cel-builder";

export interface ConditionBuilderProps {
  /** The CEL expression (the node's config value). */
  value: string;
  onChange: (cel: string) => void;
  /** Paths offered for the field of a rule (trigger, contact, steps, …). */
  fields: string[];
  disabled?: boolean;
  error?: string;
  testId?: string;
}

const MAX_DEPTH = 2;

/**
 * ConditionBuilder edits a condition as rules (field, operator, value) in
 * all/any groups and writes the CEL; "Edit as expression" shows the CEL
 * itself for experts. An expression the form cannot show (functions,
 * arithmetic, negated groups) is shown as an expression with a plain
 * note. The expression box is always there, in step with the form.
 */
export const ConditionBuilder = memo(function ConditionBuilder({ value, onChange, fields, disabled, error, testId = "condition" }: ConditionBuilderProps) {
  const parsed = fromCel(value);
  const [mode, setMode] = useState<"builder" | "expression">("builder");
  const [group, setGroup] = useState<Group>(() => withStarterRule(parsed));
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    // Changed from outside (undo, JSON edit, the expression box): show it unless the form already means it.
    setSeen(value);
    if (toCel(group) !== value && parsed) setGroup(withStarterRule(parsed));
  }
  const listId = useId();
  const write = (g: Group) => {
    setGroup(g);
    const cel = toCel(g);
    setSeen(cel);
    onChange(cel);
  };
  const tooComplex = !parsed;

  return (
    <div className="space-y-2" data-testid={`${testId}-builder`} data-mode={mode}>
      <div className="flex items-center justify-between">
        <span className="text-xs font-medium text-slate-700">
          Condition <span className="text-red-500">*</span>
        </span>
        {mode === "builder" ? (
          <button type="button" onClick={() => setMode("expression")} className="inline-flex items-center gap-1 text-xs font-medium text-brand-600 hover:underline" data-testid={`${testId}-as-expression`}>
            <Braces className="size-3.5" aria-hidden /> Edit as expression
          </button>
        ) : (
          <button
            type="button"
            disabled={tooComplex}
            title={tooComplex ? "This expression is too complex to show as a form" : undefined}
            onClick={() => {
              setGroup(withStarterRule(parsed));
              setMode("builder");
            }}
            className="inline-flex items-center gap-1 text-xs font-medium text-brand-600 hover:underline disabled:cursor-not-allowed disabled:text-slate-400 disabled:no-underline"
            data-testid={`${testId}-as-builder`}
          >
            <ListChecks className="size-3.5" aria-hidden /> Edit with the builder
          </button>
        )}
      </div>
      <datalist id={listId}>
        {fields.map((f) => (
          <option key={f} value={f} />
        ))}
      </datalist>
      {mode === "builder" &&
        (parsed || value.trim() === "" ? (
          <GroupEditor group={group} depth={1} listId={listId} disabled={disabled} onChange={write} path="g" />
        ) : (
          <p className="rounded-md border border-dashed border-slate-300 px-2.5 py-2 text-xs text-slate-600" data-testid={`${testId}-too-complex`}>
            This expression is too complex to show as a form (it uses functions, arithmetic, a negated group or compares two fields). Edit it below, or clear it to start over with the builder.
          </p>
        ))}
      <div>
        {mode === "builder" && <div className="mb-1 text-[11px] font-medium text-slate-500">As an expression</div>}
        <Textarea
          aria-label="Condition as a CEL expression"
          rows={mode === "builder" ? 2 : 4}
          spellCheck={false}
          className="font-mono text-xs"
          value={value}
          disabled={disabled}
          placeholder='contact.attributes.plan == "pro"'
          onChange={(e) => {
            setSeen(e.target.value);
            const g = fromCel(e.target.value);
            if (g) setGroup(withStarterRule(g));
            onChange(e.target.value);
          }}
          data-testid={testId}
        />
        {mode === "expression" && (
          <p className="mt-1 text-xs text-slate-500">
            {tooComplex ? "Too complex for the builder: it stays an expression. " : ""}CEL over trigger, contact, steps, vars, execution and now.
          </p>
        )}
      </div>
      {error && <p className="text-xs text-red-600">{error}</p>}
    </div>
  );
});

/** An empty builder starts with one empty rule to fill in. */
function withStarterRule(g: Group | null): Group {
  if (!g) return { kind: "group", join: "all", items: [emptyRule()] };
  return g.items.length ? g : { ...g, items: [emptyRule()] };
}

function GroupEditor({ group, depth, listId, disabled, onChange, onRemove, path }: { group: Group; depth: number; listId: string; disabled?: boolean; onChange: (g: Group) => void; onRemove?: () => void; path: string }) {
  const set = (i: number, it: Rule | Group | null) => onChange({ ...group, items: it === null ? group.items.filter((_, j) => j !== i) : group.items.map((x, j) => (j === i ? it : x)) });
  return (
    <div className={cn("space-y-1.5", depth > 1 && "rounded-md border border-slate-200 bg-slate-50/60 p-2")} data-testid={`cond-${path}`}>
      <div className="flex items-center gap-1.5 text-xs text-slate-600">
        <span>{depth > 1 ? "Either group: match" : "Match"}</span>
        <Select
          aria-label="Match all or any"
          value={group.join}
          disabled={disabled}
          onChange={(e) => onChange({ ...group, join: e.target.value as Group["join"] })}
          className="h-7 w-auto py-0 text-xs"
          data-testid={`cond-${path}-join`}
        >
          <option value="all">all</option>
          <option value="any">any</option>
        </Select>
        <span>of these</span>
        {onRemove && (
          <button type="button" aria-label="Remove group" onClick={onRemove} disabled={disabled} className="ml-auto rounded p-1 text-slate-400 hover:bg-slate-200 hover:text-slate-600">
            <Trash2 className="size-3.5" />
          </button>
        )}
      </div>
      {group.items.map((it, i) =>
        it.kind === "group" ? (
          <GroupEditor key={i} group={it} depth={depth + 1} listId={listId} disabled={disabled} onChange={(g) => set(i, g)} onRemove={() => set(i, null)} path={`${path}-${i}`} />
        ) : (
          <RuleEditor key={i} rule={it} listId={listId} disabled={disabled} onChange={(r) => set(i, r)} onRemove={() => set(i, null)} path={`${path}-${i}`} />
        ),
      )}
      <div className="flex gap-1">
        <Button size="sm" variant="ghost" icon={<Plus className="size-3.5" />} disabled={disabled} onClick={() => onChange({ ...group, items: [...group.items, emptyRule()] })} data-testid={`cond-${path}-add-rule`}>
          Rule
        </Button>
        {depth < MAX_DEPTH && (
          <Button
            size="sm"
            variant="ghost"
            icon={<Plus className="size-3.5" />}
            disabled={disabled}
            onClick={() => onChange({ ...group, items: [...group.items, { kind: "group", join: group.join === "all" ? "any" : "all", items: [emptyRule()] }] })}
            data-testid={`cond-${path}-add-group`}
          >
            Group
          </Button>
        )}
      </div>
    </div>
  );
}

function RuleEditor({ rule, listId, disabled, onChange, onRemove, path }: { rule: Rule; listId: string; disabled?: boolean; onChange: (r: Rule) => void; onRemove: () => void; path: string }) {
  const hint = rule.op === "in" ? "a, b, c" : rule.op === "includes" ? "value" : "value";
  return (
    <div className="space-y-1 rounded-md border border-slate-200 bg-white p-2" data-testid={`cond-${path}`}>
      <div className="flex gap-1">
        <Input
          aria-label="Field"
          list={listId}
          autoComplete="off"
          spellCheck={false}
          placeholder="contact.attributes.plan"
          value={rule.field}
          disabled={disabled}
          onChange={(e) => onChange({ ...rule, field: e.target.value })}
          className="h-7 min-w-0 flex-1 font-mono text-[11px]"
          data-testid={`cond-${path}-field`}
        />
        <button type="button" aria-label="Remove rule" onClick={onRemove} disabled={disabled} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600">
          <Trash2 className="size-3.5" />
        </button>
      </div>
      <div className="flex gap-1">
        <Select
          aria-label="Operator"
          value={rule.op}
          disabled={disabled}
          onChange={(e) => onChange({ ...rule, op: e.target.value as Operator })}
          className="h-7 w-[7.25rem] shrink-0 py-0 text-xs"
          data-testid={`cond-${path}-op`}
        >
          {OPERATORS.map((o) => (
            <option key={o.op} value={o.op}>
              {o.label}
            </option>
          ))}
        </Select>
        {needsValue(rule.op) && (
          <Input
            aria-label="Value"
            placeholder={hint}
            value={rule.value}
            disabled={disabled}
            onChange={(e) => onChange({ ...rule, value: e.target.value })}
            className="h-7 min-w-0 flex-1 text-xs"
            data-testid={`cond-${path}-value`}
          />
        )}
      </div>
    </div>
  );
}
