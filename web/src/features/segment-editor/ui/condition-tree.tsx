"use client";
import { createContext, useContext, type ReactNode } from "react";
import { AlertCircle, FolderPlus, Plus, Trash2 } from "lucide-react";
import { CHANNELS } from "@/entities/contact";
import { SEGMENT_FIELDS, SEGMENT_MAX_CONDITIONS, SUBSCRIPTION_STATES, WINDOW_UNITS, type WindowUnit } from "@/entities/segment";
import { cn } from "@/shared/lib";
import { Button, Input, Select } from "@/shared/ui";
import {
  ATTRIBUTE_OPS,
  FIELD_OPS,
  JOINS,
  LEAF_KINDS,
  QUANTIFIERS,
  canNest,
  newGroup,
  newLeaf,
  valueType,
  type EditorNode,
  type GroupNode,
  type Join,
  type Leaf,
  type LeafKind,
  type Serialized,
} from "../model/tree";

/** What every node of the tree needs besides itself. */
interface TreeContext {
  serialized: Serialized;
  /** Server errors by node key. */
  errors: Map<string, string>;
  /** Whether incomplete conditions are pointed out (after a save was tried). */
  showIncomplete: boolean;
  eventListId: string;
  disabled?: boolean;
  /** Replaces the node of key; null removes it. */
  update: (key: string, f: (n: EditorNode) => EditorNode | null) => void;
}

const Ctx = createContext<TreeContext | null>(null);
const useTree = () => useContext(Ctx)!;

const small = "h-8 py-0 text-sm sm:h-7 sm:text-xs";

/** The condition tree of the segment editor: groups of conditions, each chosen from dropdowns. */
export function ConditionTree({ root, ...ctx }: TreeContext & { root: GroupNode }) {
  return (
    <Ctx.Provider value={ctx}>
      <GroupEditor group={root} path="g" root />
    </Ctx.Provider>
  );
}

function NodeError({ nodeKey, path }: { nodeKey: string; path: string }) {
  const { errors, showIncomplete, serialized } = useTree();
  const err = errors.get(nodeKey) ?? (showIncomplete && serialized.incomplete.has(nodeKey) ? "Fill in this condition, or remove it." : undefined);
  if (!err) return null;
  return (
    <p role="alert" className="flex items-start gap-1 text-xs text-red-700" data-testid={`seg-${path}-error`}>
      <AlertCircle className="mt-px size-3.5 shrink-0" aria-hidden />
      <span>{err}</span>
    </p>
  );
}

function hasError(ctx: TreeContext, key: string): boolean {
  return ctx.errors.has(key) || (ctx.showIncomplete && ctx.serialized.incomplete.has(key));
}

const joinHelp: Record<Join, string> = {
  all: "every condition below must hold",
  any: "one condition below is enough",
  none: "no condition below may hold",
  notAll: "at least one condition below must fail",
};

function GroupEditor({ group, path, root }: { group: GroupNode; path: string; root?: boolean }) {
  const ctx = useTree();
  const { update, disabled, serialized } = ctx;
  const full = serialized.conditions >= SEGMENT_MAX_CONDITIONS;
  const nest = canNest(serialized, group.key);
  const add = (n: EditorNode) => update(group.key, (g) => ({ ...(g as GroupNode), items: [...(g as GroupNode).items, n] }));
  return (
    <div
      className={cn("space-y-2", !root && "rounded-lg border border-dashed border-slate-300 bg-slate-50/70 p-2 sm:p-3", hasError(ctx, group.key) && !root && "border-red-300")}
      data-testid={`seg-${path}`}
      data-join={group.join}
    >
      <div className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-slate-700">
        <span>{root ? "Contacts who match" : "Match"}</span>
        <Select
          aria-label="How the conditions combine"
          value={group.join}
          disabled={disabled}
          onChange={(e) => update(group.key, (g) => ({ ...(g as GroupNode), join: e.target.value as Join }))}
          className={cn(small, "w-auto font-medium")}
          data-testid={`seg-${path}-join`}
        >
          {JOINS.map((j) => (
            <option key={j.value} value={j.value}>
              {j.label}
            </option>
          ))}
        </Select>
        <span>of these conditions</span>
        <span className="hidden text-xs text-slate-400 sm:inline">— {joinHelp[group.join]}</span>
        {!root && (
          <button
            type="button"
            aria-label="Remove group"
            title="Remove group"
            disabled={disabled}
            onClick={() => update(group.key, () => null)}
            className="ml-auto rounded p-1 text-slate-400 hover:bg-slate-200 hover:text-slate-700"
            data-testid={`seg-${path}-remove`}
          >
            <Trash2 className="size-4" />
          </button>
        )}
      </div>
      <NodeError nodeKey={group.key} path={path} />
      {group.items.length === 0 && <p className="rounded-md border border-dashed border-slate-300 px-3 py-3 text-center text-xs text-slate-500">No conditions yet: add one.</p>}
      <ol className="space-y-2">
        {group.items.map((it, i) => (
          <li key={it.key} className="sm:flex sm:gap-2">
            <span
              className={cn(
                "shrink-0 text-[11px] font-medium tracking-wide text-slate-400 uppercase sm:mt-2 sm:block sm:w-9 sm:text-right",
                i === 0 ? "hidden" : "mb-1 block pl-1",
              )}
              aria-hidden
            >
              {i === 0 ? "" : group.join === "any" || group.join === "none" ? "or" : "and"}
            </span>
            <div className="min-w-0 flex-1">
              {it.kind === "group" ? <GroupEditor group={it} path={`${path}-${i}`} /> : <LeafEditor leaf={it} path={`${path}-${i}`} />}
            </div>
          </li>
        ))}
      </ol>
      <div className="flex flex-wrap gap-1 sm:pl-11">
        <Button
          size="sm"
          variant="ghost"
          icon={<Plus className="size-3.5" />}
          disabled={disabled || full}
          title={full ? `A segment has at most ${SEGMENT_MAX_CONDITIONS} conditions.` : undefined}
          onClick={() => add(newLeaf(group.items.at(-1)?.kind === "group" ? "attribute" : ((group.items.at(-1) as Leaf | undefined)?.kind ?? "attribute")))}
          data-testid={`seg-${path}-add-condition`}
        >
          Condition
        </Button>
        <Button
          size="sm"
          variant="ghost"
          icon={<FolderPlus className="size-3.5" />}
          disabled={disabled || full || !nest}
          title={!nest ? "Groups nest at most 5 levels deep." : full ? `A segment has at most ${SEGMENT_MAX_CONDITIONS} conditions.` : undefined}
          onClick={() => add(newGroup(group.join === "any" ? "all" : "any"))}
          data-testid={`seg-${path}-add-group`}
        >
          Group
        </Button>
      </div>
    </div>
  );
}

/** A labelled run of controls that wraps as a unit on narrow screens. */
function Part({ children, className }: { children: ReactNode; className?: string }) {
  return <span className={cn("flex min-w-0 items-center gap-1.5", className)}>{children}</span>;
}

function Word({ children }: { children: ReactNode }) {
  return <span className="shrink-0 text-xs text-slate-500">{children}</span>;
}

function UnitSelect({ value, onChange, testId, disabled }: { value: WindowUnit; onChange: (u: WindowUnit) => void; testId: string; disabled?: boolean }) {
  return (
    <Select aria-label="Unit" value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as WindowUnit)} className={cn(small, "w-auto")} data-testid={testId}>
      {WINDOW_UNITS.map((u) => (
        <option key={u.value} value={u.value}>
          {u.label}
        </option>
      ))}
      {value === "seconds" && <option value="seconds">seconds</option>}
    </Select>
  );
}

function LeafEditor({ leaf, path }: { leaf: Leaf; path: string }) {
  const ctx = useTree();
  const { update, disabled, eventListId } = ctx;
  const set = (patch: Partial<Leaf>) => update(leaf.key, (n) => ({ ...n, ...patch }) as Leaf);
  const t = (s: string) => `seg-${path}-${s}`;
  const invalid = hasError(ctx, leaf.key) || undefined;
  let body: ReactNode;
  switch (leaf.kind) {
    case "attribute": {
      const needsValue = leaf.op !== "exists" && leaf.op !== "notExists";
      body = (
        <>
          <Input
            aria-label="Attribute key"
            aria-invalid={invalid && !leaf.attrKey.trim() ? true : undefined}
            placeholder="attribute, e.g. plan"
            autoComplete="off"
            spellCheck={false}
            value={leaf.attrKey}
            disabled={disabled}
            onChange={(e) => set({ attrKey: e.target.value })}
            className={cn(small, "w-40 min-w-0 grow font-mono sm:grow-0")}
            data-testid={t("key")}
          />
          <Select aria-label="Comparison" value={leaf.op} disabled={disabled} onChange={(e) => set({ op: e.target.value as typeof leaf.op })} className={cn(small, "w-auto")} data-testid={t("op")}>
            {ATTRIBUTE_OPS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
          {needsValue && (
            <Part className="grow">
              <Input
                aria-label="Value"
                aria-invalid={invalid && !leaf.value.trim() ? true : undefined}
                placeholder='value: PRO, 30, true, "30"'
                autoComplete="off"
                value={leaf.value}
                disabled={disabled}
                onChange={(e) => set({ value: e.target.value })}
                className={cn(small, "w-36 min-w-0 grow")}
                data-testid={t("value")}
              />
              {leaf.value.trim() !== "" && (
                <span className="shrink-0 text-[11px] text-slate-400" title='Numbers and true/false compare as such; put text in quotes ("30") to compare it as text.'>
                  {valueType(leaf.value)}
                </span>
              )}
            </Part>
          )}
        </>
      );
      break;
    }
    case "field": {
      const needsValue = leaf.op === "eq" || leaf.op === "ne";
      body = (
        <>
          <Select aria-label="Contact field" value={leaf.field} disabled={disabled} onChange={(e) => set({ field: e.target.value })} className={cn(small, "w-auto")} data-testid={t("field")}>
            {SEGMENT_FIELDS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </Select>
          <Select aria-label="Comparison" value={leaf.op} disabled={disabled} onChange={(e) => set({ op: e.target.value as typeof leaf.op })} className={cn(small, "w-auto")} data-testid={t("op")}>
            {FIELD_OPS.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </Select>
          {needsValue && (
            <Input
              aria-label="Value"
              aria-invalid={invalid && !leaf.value.trim() ? true : undefined}
              placeholder={leaf.field === "timezone" ? "Europe/Berlin" : leaf.field === "locale" ? "de-DE" : "value"}
              autoComplete="off"
              value={leaf.value}
              disabled={disabled}
              onChange={(e) => set({ value: e.target.value })}
              className={cn(small, "w-40 min-w-0 grow")}
              data-testid={t("value")}
            />
          )}
        </>
      );
      break;
    }
    case "subscription":
      body = (
        <>
          <Select aria-label="Channel" value={leaf.channel} disabled={disabled} onChange={(e) => set({ channel: e.target.value })} className={cn(small, "w-auto")} data-testid={t("channel")}>
            {[...new Set([...CHANNELS, leaf.channel])].map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </Select>
          <Word>is</Word>
          <Select aria-label="State" value={leaf.state} disabled={disabled} onChange={(e) => set({ state: e.target.value })} className={cn(small, "w-auto")} data-testid={t("state")}>
            {SUBSCRIPTION_STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </Select>
        </>
      );
      break;
    case "performed":
      body = (
        <>
          <Input
            aria-label="Event name"
            aria-invalid={invalid && !leaf.event.trim() ? true : undefined}
            list={eventListId}
            placeholder="event, e.g. order.completed"
            autoComplete="off"
            spellCheck={false}
            value={leaf.event}
            disabled={disabled}
            onChange={(e) => set({ event: e.target.value })}
            className={cn(small, "w-48 min-w-0 grow font-mono sm:grow-0")}
            data-testid={t("event")}
          />
          <Part>
            <Select aria-label="How many times" value={leaf.quant} disabled={disabled} onChange={(e) => set({ quant: e.target.value as typeof leaf.quant })} className={cn(small, "w-auto")} data-testid={t("quant")}>
              {QUANTIFIERS.map((q) => (
                <option key={q.value} value={q.value}>
                  {q.label}
                </option>
              ))}
            </Select>
            {leaf.quant !== "never" && (
              <>
                <Input
                  aria-label="Count"
                  aria-invalid={invalid && !/^\d+$/.test(leaf.count.trim()) ? true : undefined}
                  inputMode="numeric"
                  value={leaf.count}
                  disabled={disabled}
                  onChange={(e) => set({ count: e.target.value })}
                  className={cn(small, "w-14 text-right")}
                  data-testid={t("count")}
                />
                <Word>{leaf.count.trim() === "1" ? "time" : "times"}</Word>
              </>
            )}
          </Part>
          <Part>
            <Select
              aria-label="When"
              value={leaf.windowed ? "window" : "ever"}
              disabled={disabled}
              onChange={(e) => set({ windowed: e.target.value === "window" })}
              className={cn(small, "w-auto")}
              data-testid={t("window")}
            >
              <option value="window">in the last</option>
              <option value="ever">ever</option>
            </Select>
            {leaf.windowed && (
              <>
                <Input
                  aria-label="Window length"
                  aria-invalid={invalid && !/^[1-9]\d*$/.test(leaf.amount.trim()) ? true : undefined}
                  inputMode="numeric"
                  value={leaf.amount}
                  disabled={disabled}
                  onChange={(e) => set({ amount: e.target.value })}
                  className={cn(small, "w-14 text-right")}
                  data-testid={t("amount")}
                />
                <UnitSelect value={leaf.unit} disabled={disabled} onChange={(unit) => set({ unit })} testId={t("unit")} />
              </>
            )}
          </Part>
        </>
      );
      break;
    case "time":
      body = (
        <>
          <Select aria-label="Which time" value={leaf.field} disabled={disabled} onChange={(e) => set({ field: e.target.value as typeof leaf.field })} className={cn(small, "w-auto")} data-testid={t("field")}>
            <option value="createdAt">Created</option>
            <option value="lastSeenAt">Last seen</option>
          </Select>
          <Select aria-label="Within or older than" value={leaf.mode} disabled={disabled} onChange={(e) => set({ mode: e.target.value as typeof leaf.mode })} className={cn(small, "w-auto")} data-testid={t("mode")}>
            <option value="within">in the last</option>
            <option value="olderThan">more than</option>
          </Select>
          <Part>
            <Input
              aria-label="Length"
              aria-invalid={invalid && !/^[1-9]\d*$/.test(leaf.amount.trim()) ? true : undefined}
              inputMode="numeric"
              value={leaf.amount}
              disabled={disabled}
              onChange={(e) => set({ amount: e.target.value })}
              className={cn(small, "w-14 text-right")}
              data-testid={t("amount")}
            />
            <UnitSelect value={leaf.unit} disabled={disabled} onChange={(unit) => set({ unit })} testId={t("unit")} />
            {leaf.mode === "olderThan" && <Word>ago{leaf.field === "lastSeenAt" ? " (or never)" : ""}</Word>}
          </Part>
        </>
      );
      break;
  }
  return (
    <div
      className={cn("space-y-1.5 rounded-lg border bg-white p-2 shadow-xs", invalid ? "border-red-300 ring-1 ring-red-200" : "border-slate-200")}
      data-testid={`seg-${path}`}
      data-kind={leaf.kind}
      data-invalid={invalid ? "true" : undefined}
    >
      <div className="flex flex-wrap items-center gap-1.5">
        <Select
          aria-label="Condition type"
          value={leaf.kind}
          disabled={disabled}
          onChange={(e) => update(leaf.key, () => newLeaf(e.target.value as LeafKind, leaf.key))}
          className={cn(small, "w-auto font-medium text-slate-800")}
          data-testid={t("kind")}
        >
          {LEAF_KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </Select>
        {/* Phones: the type and the remove button share the first line, the condition's own controls wrap below. */}
        <div className="order-last flex w-full flex-wrap items-center gap-1.5 sm:contents">{body}</div>
        <button
          type="button"
          aria-label="Remove condition"
          title="Remove condition"
          disabled={disabled}
          onClick={() => update(leaf.key, () => null)}
          className="ml-auto rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700 sm:order-last"
          data-testid={t("remove")}
        >
          <Trash2 className="size-4" />
        </button>
      </div>
      <NodeError nodeKey={leaf.key} path={path} />
    </div>
  );
}
