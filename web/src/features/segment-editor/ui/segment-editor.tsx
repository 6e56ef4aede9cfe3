"use client";
import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import Link from "next/link";
import { Save } from "lucide-react";
import { useEventNames } from "@/entities/event";
import { useCan } from "@/entities/session";
import { SEGMENT_MAX_CONDITIONS, describeSegment, useSegmentPreview, type Segment } from "@/entities/segment";
import { errorMessage, isApiError } from "@/shared/api";
import { useDebouncedValue } from "@/shared/lib";
import { Alert, Button, Card, CardHeader, Field, Input, PageHeader, Textarea } from "@/shared/ui";
import { errorTarget, fromDefinition, toDefinition, updateNode, type EditorNode, type GroupNode } from "../model/tree";
import { useSaveSegment } from "../model/use-save-segment";
import { ConditionTree } from "./condition-tree";
import { PreviewPanel, type PreviewState } from "./preview-panel";

/** How long the editor waits after the last change before it asks for the count. */
const PREVIEW_DEBOUNCE_MS = 400;

export interface SegmentEditorProps {
  /** The segment to edit; none creates one. */
  segment?: Segment;
  /** Where Cancel leads. */
  cancelHref: string;
  /** More header buttons (Delete). */
  actions?: ReactNode;
  onSaved: (s: Segment) => void;
}

/**
 * SegmentEditor defines a segment as a form: name, description and a tree
 * of conditions chosen from dropdowns, with the live count and a sample
 * of the contacts the conditions match now. Errors of the server land on
 * the condition they name.
 */
export function SegmentEditor({ segment, cancelHref, actions, onSaved }: SegmentEditorProps) {
  const canWrite = useCan("contacts:write");
  const [name, setName] = useState(segment?.name ?? "");
  const [description, setDescription] = useState(segment?.description ?? "");
  const [root, setRoot] = useState<GroupNode>(() => fromDefinition(segment?.definition));
  const [tried, setTried] = useState(false);
  const save = useSaveSegment(segment?.id);
  const eventNames = useEventNames();
  const eventListId = useId();

  const serialized = useMemo(() => toDefinition(root), [root]);
  const definitionJson = serialized.definition ? JSON.stringify(serialized.definition) : null;
  const asked = useDebouncedValue(definitionJson, PREVIEW_DEBOUNCE_MS);
  const preview = useSegmentPreview(asked);
  const settled = asked === definitionJson;

  // Errors by node: the save's (until the next edit), else the preview's for what is on screen.
  const errors = new Map<string, string>();
  let formError: string | null = null;
  let nameError: string | undefined;
  const place = (err: unknown): boolean => {
    if (!isApiError(err) || err.status !== 422) return false;
    const hit = errorTarget(err.problem, serialized.paths);
    if (hit) errors.set(hit.key, hit.message);
    return !!hit;
  };
  if (save.error) {
    if (isApiError(save.error) && save.error.status === 409) nameError = "A segment with this name exists: choose another name.";
    else if (isApiError(save.error) && save.error.fieldError("name")) nameError = save.error.fieldError("name");
    else if (!place(save.error)) formError = errorMessage(save.error);
  }
  const previewInvalid = settled && preview.isError && place(preview.error);

  let state: PreviewState;
  if (serialized.conditions === 0) state = "empty";
  else if (!definitionJson) state = "incomplete";
  else if (settled && preview.isError) state = previewInvalid ? "invalid" : "error";
  else if (settled && preview.data && !preview.isPlaceholderData) state = "ready";
  else state = "loading";
  const stale = state === "loading" && !!preview.data;

  const edit = (key: string, f: (n: EditorNode) => EditorNode | null) => {
    save.reset();
    setRoot((r) => updateNode(r, key, f));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!name.trim() || !serialized.definition) return;
    save.mutate({ name: name.trim(), description: description.trim() || undefined, definition: serialized.definition }, { onSuccess: onSaved });
  };
  const missingName = tried && !name.trim() ? "Name the segment." : undefined;
  const summary = serialized.definition ? describeSegment(serialized.definition) : "";

  const saveButton = (testId: string) => (
    <Button variant="primary" type="submit" form="segment-form" icon={<Save className="size-4" />} loading={save.isPending} disabled={!canWrite} data-testid={testId}>
      {segment ? "Save" : "Create segment"}
    </Button>
  );
  return (
    <>
      <PageHeader
        title={segment ? `Edit ${segment.name}` : "New segment"}
        description="Contacts who match the conditions below. The membership is kept up to date as events arrive and as time passes."
        actions={
          <div className="hidden items-center gap-2 sm:flex">
            {actions}
            <Link href={cancelHref} className="px-2 text-sm font-medium text-slate-600 hover:text-slate-900">
              Cancel
            </Link>
            {saveButton("segment-save")}
          </div>
        }
      />
      {!canWrite && (
        <Alert tone="info" className="mb-4">
          Your role may look at segments but not change them (contacts:write).
        </Alert>
      )}
      <form id="segment-form" onSubmit={submit} noValidate className="grid gap-5 pb-20 sm:pb-0 lg:grid-cols-[minmax(0,1fr)_320px]">
        <div className="min-w-0 space-y-5">
          {formError && <Alert>{formError}</Alert>}
          <Card>
            <div className="grid gap-3 p-4 sm:grid-cols-2">
              <Field label="Name" required error={nameError ?? missingName}>
                {(ids) => (
                  <Input
                    {...ids}
                    value={name}
                    maxLength={100}
                    placeholder="e.g. Loyal PRO customers"
                    disabled={!canWrite}
                    onChange={(e) => (setName(e.target.value), save.reset())}
                    data-testid="segment-name"
                  />
                )}
              </Field>
              <Field label="Description">
                {(ids) => (
                  <Textarea
                    {...ids}
                    rows={1}
                    value={description}
                    maxLength={1000}
                    placeholder="Who this is, for your team"
                    disabled={!canWrite}
                    onChange={(e) => setDescription(e.target.value)}
                    className="max-h-32 min-h-8 resize-none field-sizing-content"
                    data-testid="segment-description"
                  />
                )}
              </Field>
            </div>
          </Card>
          <Card>
            <CardHeader
              title="Conditions"
              description={`Attributes, contact fields, subscriptions and event history; up to ${SEGMENT_MAX_CONDITIONS} conditions, groups nested 5 levels deep.`}
            />
            <div className="p-2 sm:p-4" data-testid="segment-conditions">
              <datalist id={eventListId}>
                {(eventNames.data ?? []).map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
              <ConditionTree
                root={root}
                serialized={serialized}
                errors={errors}
                showIncomplete={tried}
                eventListId={eventListId}
                disabled={!canWrite}
                update={edit}
              />
            </div>
            {summary && (
              <p className="border-t border-slate-100 px-4 py-2.5 text-xs text-slate-500" data-testid="segment-summary">
                <span className="font-medium text-slate-600">In words: </span>
                {summary}
              </p>
            )}
          </Card>
        </div>
        <div className="min-w-0">
          <div className="lg:sticky lg:top-0">
            <PreviewPanel state={state} data={preview.data} stale={stale} error={preview.error ? errorMessage(preview.error) : undefined} />
          </div>
        </div>
      </form>
      {/* Small screens: the count and Save stay at hand at the bottom. */}
      <div className="fixed inset-x-0 bottom-0 z-30 flex items-center gap-3 border-t border-slate-200 bg-white/95 px-3 py-2 shadow-[0_-2px_8px_rgba(15,23,42,0.06)] backdrop-blur sm:hidden">
        <span className="min-w-0 flex-1 truncate text-sm text-slate-600" data-testid="segment-count-bar">
          {state === "ready" && preview.data ? (
            <>
              <span className="font-semibold text-slate-900 tabular-nums">{preview.data.count.toLocaleString("en")}</span> contact{preview.data.count === 1 ? "" : "s"} match
            </>
          ) : stale && preview.data ? (
            "Counting…"
          ) : state === "invalid" ? (
            "Fix the condition in red"
          ) : (
            "Fill in the conditions"
          )}
        </span>
        <Link href={cancelHref} className="text-sm font-medium text-slate-600">
          Cancel
        </Link>
        {saveButton("segment-save-bar")}
      </div>
    </>
  );
}
