"use client";
import { memo, useState } from "react";
import { Plus, Trash2 } from "lucide-react";
import { CredentialPicker } from "@/entities/credential";
import { SegmentPicker } from "@/entities/segment";
import { Button, Field, Input, Select, Switch, Textarea } from "@/shared/ui";
import { cn } from "@/shared/lib";
import { emptyValue, enumOptions, fieldKind, humanize, resolve, type JsonSchema } from "../lib/json-schema";
import { ConditionField } from "./condition-field";

/** A top-level "expression" described as CEL is a condition: it gets the visual builder. */
function isCondition(name: string, path: string, schema: JsonSchema): boolean {
  return name === "expression" && path === "expression" && primaryTypeIsString(schema) && /\bCEL\b/.test(schema.description ?? "");
}

function primaryTypeIsString(s: JsonSchema): boolean {
  return s.type === "string" || (Array.isArray(s.type) && s.type.includes("string"));
}

export interface SchemaFormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  /** Error messages keyed by top-level property. */
  errors?: Record<string, string>;
  disabled?: boolean;
  /** Values offered (datalist) for string fields, by top-level property, e.g. { event: ["order.completed"] }. */
  suggestions?: Record<string, string[]>;
}

/**
 * SchemaForm renders a form for a node's config from its JSON Schema:
 * strings, numbers, booleans, enums, arrays of strings, arrays of objects,
 * nested objects and string maps; anything else gets a JSON textarea.
 */
export function SchemaForm({ schema, value, onChange, errors, disabled, suggestions }: SchemaFormProps) {
  return <ObjectFields root={schema} schema={schema} value={value} onChange={onChange} path="" errors={errors} disabled={disabled} suggestions={suggestions} />;
}

interface NodeProps {
  root: JsonSchema;
  schema: JsonSchema;
  path: string;
  disabled?: boolean;
}

function ObjectFields({
  root,
  schema,
  value,
  onChange,
  path,
  errors,
  disabled,
  suggestions,
}: NodeProps & {
  value: Record<string, unknown>;
  onChange: (v: Record<string, unknown>) => void;
  errors?: Record<string, string>;
  suggestions?: Record<string, string[]>;
}) {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) {
    return <p className="text-xs text-slate-500">This step has no settings.</p>;
  }
  const required = new Set(schema.required ?? []);
  return (
    <div className="space-y-3.5">
      {props.map(([key, raw]) => {
        const s = resolve(raw, root) ?? {};
        const p = path ? `${path}.${key}` : key;
        return (
          <PropertyField
            key={key}
            root={root}
            schema={s}
            name={key}
            path={p}
            required={required.has(key)}
            error={errors?.[key]}
            value={value?.[key]}
            disabled={disabled}
            suggestions={path ? undefined : suggestions?.[key]}
            onChange={(v) => {
              const next = { ...value };
              if (v === undefined) delete next[key];
              else next[key] = v;
              onChange(next);
            }}
          />
        );
      })}
    </div>
  );
}

interface PropertyProps extends NodeProps {
  name: string;
  value: unknown;
  onChange: (v: unknown) => void;
  required?: boolean;
  error?: string;
  /** Values offered for a string field through a datalist. */
  suggestions?: string[];
}

const PropertyField = memo(function PropertyField({ root, schema, name, path, value, onChange, required, error, disabled, suggestions }: PropertyProps) {
  const kind = fieldKind(schema, name);
  const label = schema.title ?? humanize(name);
  const hint = schema.description;
  const testId = `field-${path}`;
  if (isCondition(name, path, schema)) {
    return <ConditionField value={typeof value === "string" ? value : ""} onChange={(v) => onChange(v)} disabled={disabled} error={error} testId={testId} />;
  }
  if (schema["x-nextflow-credential"]) {
    // Secrets live in credentials: the config names one, never holds a value.
    return (
      <Field label={label} hint={hint} error={error} required={required}>
        {(ids) => <CredentialPicker id={ids.id} value={typeof value === "string" ? value : ""} onChange={(v) => onChange(v === "" ? undefined : v)} kind="webhook_secret" />}
      </Field>
    );
  }
  if (name === "segmentId" && path === name) {
    // trigger.segment names a segment by ID: the form offers the workspace's segments by name.
    return (
      <Field label={label} hint={hint} error={error} required={required}>
        {(ids) => <SegmentPicker id={ids.id} value={typeof value === "string" ? value : ""} onChange={(v) => onChange(v === "" ? undefined : v)} disabled={disabled} />}
      </Field>
    );
  }
  switch (kind) {
    case "string":
    case "text":
      return (
        <Field label={label} hint={hint} error={error} required={required}>
          {(ids) =>
            kind === "text" ? (
              <Textarea
                {...ids}
                rows={name === "expression" || name === "filter" ? 2 : 4}
                className={cn((name === "expression" || name === "filter") && "font-mono text-xs")}
                value={typeof value === "string" ? value : ""}
                placeholder={schema.examples?.[0] != null ? String(schema.examples[0]) : undefined}
                onChange={(e) => onChange(e.target.value === "" && !required ? undefined : e.target.value)}
                disabled={disabled}
                data-testid={testId}
              />
            ) : (
              <>
                <Input
                  {...ids}
                  list={suggestions?.length ? `${ids.id}-options` : undefined}
                  autoComplete={suggestions?.length ? "off" : undefined}
                  value={typeof value === "string" ? value : ""}
                  placeholder={schema.examples?.[0] != null ? String(schema.examples[0]) : schema.default != null ? String(schema.default) : undefined}
                  onChange={(e) => onChange(e.target.value === "" && !required ? undefined : e.target.value)}
                  disabled={disabled}
                  data-testid={testId}
                />
                {!!suggestions?.length && (
                  <datalist id={`${ids.id}-options`} data-testid={`${testId}-options`}>
                    {suggestions.map((s) => (
                      <option key={s} value={s} />
                    ))}
                  </datalist>
                )}
              </>
            )
          }
        </Field>
      );
    case "number":
    case "integer":
      return (
        <Field label={label} hint={hint} error={error} required={required}>
          {(ids) => (
            <NumberInput {...ids} value={value} integer={kind === "integer"} schema={schema} onChange={onChange} disabled={disabled} testId={testId} />
          )}
        </Field>
      );
    case "boolean":
      return (
        <div className="flex items-center justify-between gap-3">
          <div>
            <div className="text-xs font-medium text-slate-700">{label}</div>
            {hint && <div className="text-xs text-slate-500">{hint}</div>}
            {error && <div className="text-xs text-red-600">{error}</div>}
          </div>
          <Switch checked={value === true} onChange={(v) => onChange(v)} label={label} disabled={disabled} data-testid={testId} />
        </div>
      );
    case "enum": {
      const opts = enumOptions(schema);
      const idx = opts.findIndex(([v]) => v === value);
      return (
        <Field label={label} hint={hint} error={error} required={required}>
          {(ids) => (
            <Select
              {...ids}
              value={idx === -1 ? "" : String(idx)}
              onChange={(e) => onChange(e.target.value === "" ? undefined : opts[Number(e.target.value)]?.[0])}
              disabled={disabled}
              data-testid={testId}
            >
              {(!required || idx === -1) && <option value="">{required ? "Choose…" : "—"}</option>}
              {opts.map(([, l], i) => (
                <option key={i} value={String(i)}>
                  {l}
                </option>
              ))}
            </Select>
          )}
        </Field>
      );
    }
    case "object":
      return (
        <fieldset className="rounded-md border border-slate-200 p-3" data-testid={testId}>
          <legend className="px-1 text-xs font-medium text-slate-700">{label}</legend>
          {hint && <p className="mb-2 text-xs text-slate-500">{hint}</p>}
          {error && <p className="mb-2 text-xs text-red-600">{error}</p>}
          <ObjectFields
            root={root}
            schema={schema}
            path={path}
            value={(value && typeof value === "object" ? value : {}) as Record<string, unknown>}
            onChange={onChange}
            disabled={disabled}
          />
        </fieldset>
      );
    case "array-strings":
      return <StringList label={label} hint={hint} error={error} value={value} onChange={onChange} disabled={disabled} testId={testId} />;
    case "array-objects":
      return (
        <ObjectList root={root} schema={schema} label={label} hint={hint} error={error} value={value} onChange={onChange} path={path} disabled={disabled} />
      );
    case "map":
      return <StringMap label={label} hint={hint} error={error} value={value} onChange={onChange} disabled={disabled} testId={testId} />;
    default:
      return <JsonField label={label} hint={hint} error={error} value={value} onChange={onChange} disabled={disabled} testId={testId} />;
  }
});

function NumberInput({
  value,
  onChange,
  integer,
  schema,
  disabled,
  testId,
  ...ids
}: {
  value: unknown;
  onChange: (v: unknown) => void;
  integer: boolean;
  schema: JsonSchema;
  disabled?: boolean;
  testId: string;
  id: string;
}) {
  const [text, setText] = useState(typeof value === "number" ? String(value) : "");
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    // The value changed from outside (undo, JSON edit): show it unless the text already means it.
    setSeen(value);
    if (!(text !== "" && Number(text) === value)) setText(typeof value === "number" ? String(value) : "");
  }
  return (
    <Input
      {...ids}
      type="number"
      inputMode={integer ? "numeric" : "decimal"}
      step={integer ? 1 : "any"}
      min={schema.minimum}
      max={schema.maximum}
      value={text}
      disabled={disabled}
      data-testid={testId}
      onChange={(e) => {
        setText(e.target.value);
        if (e.target.value === "") return onChange(undefined);
        const n = Number(e.target.value);
        if (!Number.isNaN(n)) onChange(integer ? Math.trunc(n) : n);
      }}
    />
  );
}

function StringList({ label, hint, error, value, onChange, disabled, testId }: { label: string; hint?: string; error?: string; value: unknown; onChange: (v: unknown) => void; disabled?: boolean; testId: string }) {
  const items = Array.isArray(value) ? (value as unknown[]).map((v) => String(v ?? "")) : [];
  return (
    <div className="space-y-1.5" data-testid={testId}>
      <div className="text-xs font-medium text-slate-700">{label}</div>
      {hint && <p className="text-xs text-slate-500">{hint}</p>}
      {items.map((it, i) => (
        <div key={i} className="flex gap-1.5">
          <Input
            aria-label={`${label} ${i + 1}`}
            value={it}
            disabled={disabled}
            data-testid={`${testId}.${i}`}
            onChange={(e) => onChange(items.map((x, j) => (j === i ? e.target.value : x)))}
          />
          <Button size="sm" variant="ghost" aria-label={`Remove ${label} ${i + 1}`} className="h-8" onClick={() => onChange(items.filter((_, j) => j !== i))} disabled={disabled}>
            <Trash2 className="size-3.5" />
          </Button>
        </div>
      ))}
      <Button size="sm" variant="ghost" icon={<Plus className="size-3.5" />} onClick={() => onChange([...items, ""])} disabled={disabled} data-testid={`${testId}-add`}>
        Add
      </Button>
      {error && <p className="text-xs text-red-600">{error}</p>}
    </div>
  );
}

function ObjectList({
  root,
  schema,
  label,
  hint,
  error,
  value,
  onChange,
  path,
  disabled,
}: {
  root: JsonSchema;
  schema: JsonSchema;
  label: string;
  hint?: string;
  error?: string;
  value: unknown;
  onChange: (v: unknown) => void;
  path: string;
  disabled?: boolean;
}) {
  const items = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
  const itemSchema = resolve(schema.items, root) ?? {};
  return (
    <div className="space-y-2" data-testid={`field-${path}`}>
      <div className="text-xs font-medium text-slate-700">{label}</div>
      {hint && <p className="text-xs text-slate-500">{hint}</p>}
      {items.map((it, i) => (
        <div key={i} className="relative rounded-md border border-slate-200 bg-slate-50/50 p-3 pr-9">
          <button
            type="button"
            aria-label={`Remove item ${i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}
            disabled={disabled}
            className="absolute top-2 right-2 rounded p-1 text-slate-400 hover:bg-slate-200 hover:text-slate-600"
          >
            <Trash2 className="size-3.5" />
          </button>
          <ObjectFields
            root={root}
            schema={itemSchema}
            path={`${path}.${i}`}
            value={it && typeof it === "object" ? it : {}}
            onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))}
            disabled={disabled}
          />
        </div>
      ))}
      <Button
        size="sm"
        variant="secondary"
        icon={<Plus className="size-3.5" />}
        onClick={() => onChange([...items, emptyValue(itemSchema)])}
        disabled={disabled}
        data-testid={`field-${path}-add`}
      >
        Add {label.toLowerCase().replace(/s$/, "")}
      </Button>
      {error && <p className="text-xs text-red-600">{error}</p>}
    </div>
  );
}

function StringMap({ label, hint, error, value, onChange, disabled, testId }: { label: string; hint?: string; error?: string; value: unknown; onChange: (v: unknown) => void; disabled?: boolean; testId: string }) {
  const entries = Object.entries(value && typeof value === "object" ? (value as Record<string, unknown>) : {});
  const write = (es: Array<[string, unknown]>) => onChange(Object.fromEntries(es));
  return (
    <div className="space-y-1.5" data-testid={testId}>
      <div className="text-xs font-medium text-slate-700">{label}</div>
      {hint && <p className="text-xs text-slate-500">{hint}</p>}
      {entries.map(([k, v], i) => (
        <div key={i} className="flex gap-1.5">
          <Input aria-label={`${label} name ${i + 1}`} className="w-2/5" value={k} disabled={disabled} onChange={(e) => write(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x)))} />
          <Input aria-label={`${label} value ${i + 1}`} value={String(v ?? "")} disabled={disabled} onChange={(e) => write(entries.map((x, j) => (j === i ? [x[0], e.target.value] : x)))} />
          <Button size="sm" variant="ghost" className="h-8" aria-label={`Remove ${k || "entry"}`} disabled={disabled} onClick={() => write(entries.filter((_, j) => j !== i))}>
            <Trash2 className="size-3.5" />
          </Button>
        </div>
      ))}
      <Button size="sm" variant="ghost" icon={<Plus className="size-3.5" />} disabled={disabled} onClick={() => write([...entries, [entries.length ? `key${entries.length + 1}` : "key", ""]])}>
        Add entry
      </Button>
      {error && <p className="text-xs text-red-600">{error}</p>}
    </div>
  );
}

/** A JSON textarea that only reports valid JSON upwards and says what is wrong otherwise. */
export function JsonField({ label, hint, error, value, onChange, disabled, testId, rows = 5 }: { label: string; hint?: string; error?: string; value: unknown; onChange: (v: unknown) => void; disabled?: boolean; testId: string; rows?: number }) {
  const [text, setText] = useState(() => (value === undefined ? "" : JSON.stringify(value, null, 2)));
  const [parseError, setParseError] = useState<string | null>(null);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    // The value changed from outside (undo, form edit): show it unless the text already means it
    // or the user is mid-way through typing invalid JSON.
    setSeen(value);
    let same = false;
    try {
      same = JSON.stringify(JSON.parse(text)) === JSON.stringify(value);
    } catch {
      same = parseError !== null;
    }
    if (!same) setText(value === undefined ? "" : JSON.stringify(value, null, 2));
  }
  return (
    <Field label={label} hint={hint ?? "JSON"} error={parseError ?? error}>
      {(ids) => (
        <Textarea
          {...ids}
          rows={rows}
          spellCheck={false}
          className="font-mono text-xs"
          value={text}
          disabled={disabled}
          data-testid={testId}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim() === "") {
              setParseError(null);
              return onChange(undefined);
            }
            try {
              onChange(JSON.parse(e.target.value));
              setParseError(null);
            } catch (err) {
              setParseError(`Not valid JSON: ${(err as Error).message}`);
            }
          }}
        />
      )}
    </Field>
  );
}
