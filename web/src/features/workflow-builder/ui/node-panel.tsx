"use client";
import { memo, useMemo, useState } from "react";
import { AlertCircle, Braces, ListChecks, Trash2, X } from "lucide-react";
import { useEventNames } from "@/entities/event";
import { useMe } from "@/entities/session";
import { NodeIcon, problemsByField, TriggerUsage } from "@/entities/workflow";
import { Button, Field, Input } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import type { JsonSchema } from "../lib/json-schema";
import { JsonField, SchemaForm } from "./schema-form";
import { StepPreview } from "./step-preview";

const EMPTY: never[] = [];

/** Node types whose `event` field names an event: the form offers the names seen in the workspace. */
const EVENT_FIELD_TYPES = new Set(["trigger.event", "wait_for_event"]);

/** The side panel of the selected node: label, the form generated from its config schema, its problems. */
export const NodePanel = memo(function NodePanel({ nodeId, onClose, readOnly = false }: { nodeId: string; onClose: () => void; readOnly?: boolean }) {
  const store = useBuilderStore();
  const node = useBuilder((s) => s.nodes.find((n) => n.id === nodeId));
  const nodeType = useBuilder((s) => (node ? s.nodeTypes[node.data.type] : undefined));
  const problems = useBuilder((s) => s.problemIndex.byNode.get(nodeId)) ?? EMPTY;
  const workflowId = useBuilder((s) => s.workflowId);
  const tenantId = useMe().data?.activeTenant?.id;
  const [asJson, setAsJson] = useState(false);
  const wantsEvents = !!node && EVENT_FIELD_TYPES.has(node.data.type);
  const eventNames = useEventNames({ enabled: wantsEvents });
  const suggestions = useMemo(() => (wantsEvents && eventNames.data?.length ? { event: eventNames.data } : undefined), [wantsEvents, eventNames.data]);
  if (!node) return null;
  const schema = (nodeType?.configSchema ?? {}) as JsonSchema;
  const fieldErrors = problemsByField(problems);
  const update = (config: Record<string, unknown>) => store.getState().updateConfig(nodeId, config);
  return (
    <div className="flex h-full flex-col" data-testid="node-panel">
      <div className="flex items-start gap-2.5 border-b border-slate-200 px-4 py-3">
        <span className="mt-0.5 grid size-7 shrink-0 place-items-center rounded-md bg-slate-100 text-slate-600">
          <NodeIcon type={node.data.type} className="size-4" />
        </span>
        <div className="min-w-0 flex-1">
          <div className="truncate text-sm font-semibold text-slate-900">{nodeType?.label ?? node.data.type}</div>
          <div className="truncate font-mono text-[11px] text-slate-500">{node.id}</div>
        </div>
        <button type="button" aria-label="Close panel" onClick={onClose} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600">
          <X className="size-4" />
        </button>
      </div>
      <div className="flex-1 space-y-4 overflow-y-auto px-4 py-4">
        {nodeType?.description && <p className="text-xs leading-5 text-slate-500">{nodeType.description}</p>}
        {nodeType?.available === false && (
          <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900" data-testid="node-unavailable">
            This step cannot run on this server: {nodeType.unavailableReason || "no sender or provider is set up for it"}. Publishing is refused while
            the workflow uses it.
          </p>
        )}
        {problems.length > 0 && (
          <ul className="space-y-1 rounded-md border border-red-200 bg-red-50 px-3 py-2" data-testid="node-panel-problems">
            {problems.map((p, i) => (
              <li key={i} className="flex gap-1.5 text-xs text-red-700">
                <AlertCircle className="mt-0.5 size-3.5 shrink-0" aria-hidden />
                <span>
                  {p.message}
                  {p.path && <span className="font-mono text-red-500"> ({p.path})</span>}
                </span>
              </li>
            ))}
          </ul>
        )}
        <Field label="Label" hint="Shown on the canvas instead of the type name.">
          {(ids) => (
            <Input
              {...ids}
              value={node.data.label ?? ""}
              placeholder={nodeType?.label}
              onChange={(e) => store.getState().updateLabel(nodeId, e.target.value)}
              disabled={readOnly}
              data-testid="field-label"
            />
          )}
        </Field>
        <div className="flex items-center justify-between border-t border-slate-100 pt-3">
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Settings</h3>
          <button
            type="button"
            onClick={() => setAsJson((v) => !v)}
            className="inline-flex items-center gap-1 text-xs font-medium text-brand-600 hover:underline"
            data-testid="toggle-json"
          >
            {asJson ? <ListChecks className="size-3.5" /> : <Braces className="size-3.5" />}
            {asJson ? "Edit as form" : "Edit as JSON"}
          </button>
        </div>
        {asJson || !nodeType ? (
          <JsonField
            label="Config"
            value={node.data.config}
            rows={14}
            testId="field-config-json"
            disabled={readOnly}
            onChange={(v) => v && typeof v === "object" && !Array.isArray(v) && update(v as Record<string, unknown>)}
          />
        ) : (
          <SchemaForm key={`form-${nodeId}`} schema={schema} value={node.data.config} onChange={update} errors={fieldErrors} disabled={readOnly} suggestions={suggestions} />
        )}
        <TriggerUsage type={node.data.type} config={node.data.config ?? {}} tenantId={tenantId} workflowId={workflowId} />
        {!readOnly && <StepPreview key={`preview-${nodeId}`} nodeId={nodeId} />}
      </div>
      <div className={readOnly ? "hidden" : "border-t border-slate-200 px-4 py-3"}>
        <Button
          variant="danger"
          size="sm"
          icon={<Trash2 className="size-3.5" />}
          onClick={() => {
            store.getState().select(nodeId);
            store.getState().deleteSelection();
            onClose();
          }}
          data-testid="delete-node"
        >
          Delete step
        </Button>
      </div>
    </div>
  );
});
