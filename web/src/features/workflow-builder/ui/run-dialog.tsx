"use client";
import { useState } from "react";
import Link from "next/link";
import { ArrowRight } from "lucide-react";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, type Execution } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog, Field, Textarea } from "@/shared/ui";

const sample = `{
  "amount": 150,
  "email": "ada@example.com"
}`;

/** "Run now": start an execution of the published version with a JSON test payload. */
export function RunDialog({ workflowId, open, onClose, beforeRun }: { workflowId: string; open: boolean; onClose: () => void; beforeRun: () => Promise<boolean> }) {
  const [text, setText] = useState(sample);
  const [contact, setContact] = useState("");
  const [parseError, setParseError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [started, setStarted] = useState<Execution | null>(null);
  const run = async () => {
    setError(null);
    let input: unknown;
    let contactValue: unknown;
    try {
      input = text.trim() ? JSON.parse(text) : {};
      contactValue = contact.trim() ? JSON.parse(contact) : undefined;
      if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error("the input must be a JSON object");
      if (contactValue !== undefined && (typeof contactValue !== "object" || contactValue === null)) throw new Error("the contact must be a JSON object");
    } catch (e) {
      setParseError(`Not valid JSON: ${(e as Error).message}`);
      return;
    }
    setParseError(null);
    setPending(true);
    try {
      await beforeRun();
      setStarted(await workflowApi.run(workflowId, { input: input as Record<string, unknown>, contact: contactValue as Record<string, unknown> | undefined }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  };
  const close = () => {
    setStarted(null);
    setError(null);
    onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title="Run now"
      description="Starts one execution of the published version with this input (trigger.input)."
      footer={
        started ? (
          <Button onClick={close}>Close</Button>
        ) : (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" loading={pending} onClick={() => void run()} data-testid="run-submit">
              Start execution
            </Button>
          </>
        )
      }
    >
      {started ? (
        <div className="space-y-3" data-testid="run-started">
          <Alert tone="success">Execution started.</Alert>
          <Link
            href={routes.execution(started.id)}
            className="inline-flex items-center gap-1.5 text-sm font-medium text-brand-600 hover:underline"
            data-testid="run-execution-link"
          >
            Open execution {started.id.slice(-8)} <ArrowRight className="size-4" aria-hidden />
          </Link>
        </div>
      ) : (
        <div className="space-y-4">
          {error && <Alert>{error}</Alert>}
          <Field label="Input (JSON)" error={parseError} hint="Available to steps as trigger.input, e.g. {{ trigger.input.email }}.">
            {(ids) => (
              <Textarea {...ids} rows={8} spellCheck={false} className="font-mono text-xs" value={text} onChange={(e) => setText(e.target.value)} data-testid="run-input" />
            )}
          </Field>
          <Field label="Contact (optional JSON)" hint='e.g. {"externalId": "u_42", "email": "ada@example.com"}'>
            {(ids) => (
              <Textarea {...ids} rows={3} spellCheck={false} className="font-mono text-xs" value={contact} onChange={(e) => setContact(e.target.value)} />
            )}
          </Field>
        </div>
      )}
    </Dialog>
  );
}
