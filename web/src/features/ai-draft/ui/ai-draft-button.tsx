"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Sparkles } from "lucide-react";
import { aiApi } from "@/entities/ai";
import { NodeIcon, useNodeTypes, workflowApi } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys, type AIWorkflowDraft } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog, Field, Input, Textarea } from "@/shared/ui";

/**
 * DraftWithAIButton asks the workspace's AI provider for a journey from a
 * description, previews the validated draft (its steps and the model's
 * explanation), and on "Open in builder" saves it as a new, unpublished
 * workflow and opens it. Nothing is saved before that click.
 */
export function DraftWithAIButton() {
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState("");
  const [name, setName] = useState("");
  const [draft, setDraft] = useState<AIWorkflowDraft | null>(null);
  const types = useNodeTypes();
  const labelOf = (t: string) => types.data?.find((n) => n.type === t)?.label ?? t;
  const router = useRouter();
  const qc = useQueryClient();
  const ask = useMutation({
    mutationFn: () => aiApi.draft(prompt.trim()),
    onSuccess: (d) => {
      setDraft(d);
      void qc.invalidateQueries({ queryKey: queryKeys.ai.usage });
    },
  });
  const accept = useMutation({
    mutationFn: () => workflowApi.create({ name: name.trim() || "AI draft", description: draft!.explanation, definition: draft!.definition }),
    onSuccess: (wf) => {
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
      router.push(routes.workflow(wf.id));
    },
  });
  const close = () => {
    setOpen(false);
    setDraft(null);
    ask.reset();
  };
  const problems = ask.error && isApiError(ask.error) ? (ask.error.problem?.errors ?? []) : [];
  return (
    <>
      <Button icon={<Sparkles className="size-4" />} onClick={() => setOpen(true)} data-testid="open-ai-draft">
        Draft with AI
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Draft a journey with AI"
        description="Describe what should happen. The draft is checked like a hand-built one; nothing is saved until you open it in the builder, and nothing is published."
        className="!max-w-2xl"
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            {draft ? (
              <Button variant="primary" loading={accept.isPending} onClick={() => accept.mutate()} data-testid="ai-draft-accept">
                Open in builder
              </Button>
            ) : (
              <Button variant="primary" loading={ask.isPending} disabled={!prompt.trim()} onClick={() => ask.mutate()} data-testid="ai-draft-submit">
                Draft
              </Button>
            )}
          </>
        }
      >
        <div className="space-y-4">
          <Field label="What should the journey do?">
            {(ids) => (
            <Textarea {...ids}
              rows={4}
              maxLength={4000}
              value={prompt}
              onChange={(e) => {
                setPrompt(e.target.value);
                setDraft(null);
              }}
              placeholder="When a WhatsApp message comes in, classify it as question, complaint or unsubscribe, and route each to its own branch."
              data-testid="ai-draft-prompt"
            />
            )}
          </Field>
          {ask.isError && (
            <Alert>
              {errorMessage(ask.error)}
              {problems.length > 0 && (
                <ul className="mt-1 list-disc pl-5 text-xs">
                  {problems.slice(0, 8).map((p, i) => (
                    <li key={i}>{p.message}</li>
                  ))}
                </ul>
              )}
            </Alert>
          )}
          {accept.isError && <Alert>{errorMessage(accept.error)}</Alert>}
          {draft && (
            <div className="space-y-3 rounded-lg border border-slate-200 p-3" data-testid="ai-draft-preview">
              <p className="text-sm text-slate-700">{draft.explanation}</p>
              <ol className="space-y-1">
                {(draft.definition.nodes ?? []).map((n) => (
                  <li key={n.id} className="flex items-center gap-2 text-sm text-slate-800">
                    <NodeIcon type={n.type} className="size-4 text-slate-500" />
                    <span className="font-medium">{n.label || labelOf(n.type)}</span>
                    <span className="text-xs text-slate-500">{n.id}</span>
                  </li>
                ))}
              </ol>
              <p className="text-xs text-slate-500">
                {draft.definition.nodes?.length ?? 0} steps, {draft.definition.edges?.length ?? 0} connections · {draft.model} · {draft.calls}{" "}
                {draft.calls === 1 ? "call" : "calls"}, {new Intl.NumberFormat("en").format(draft.tokensIn + draft.tokensOut)} tokens
              </p>
              <Field label="Workflow name">
                {(ids) => (
                <Input {...ids} value={name} onChange={(e) => setName(e.target.value)} placeholder="AI draft" data-testid="ai-draft-name" />
                )}
              </Field>
            </div>
          )}
        </div>
      </Dialog>
    </>
  );
}
