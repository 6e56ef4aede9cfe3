"use client";
import { useState } from "react";
import { Play } from "lucide-react";
import { errorMessage } from "@/shared/api";
import { Alert, Badge, Button } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import { testRunApi, useLatestTestRun, type StepPreview as Preview } from "../model/test-run";

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

/**
 * "Run this step": the selected node of the draft rendered against the
 * sample context (the pinned sample data, or the last test run's context
 * with the outputs of the steps before it): templates rendered, conditions
 * evaluated, a send shown as the message it would send. Nothing is sent.
 */
export function StepPreview({ nodeId }: { nodeId: string }) {
  const store = useBuilderStore();
  const workflowId = useBuilder((s) => s.workflowId);
  const latest = useLatestTestRun(workflowId ?? "", !!workflowId);
  const [useRun, setUseRun] = useState(true);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [out, setOut] = useState<Preview | null>(null);
  if (!workflowId) return null;
  const runId = useRun ? latest.data?.id : undefined;
  const go = async () => {
    setPending(true);
    setError(null);
    try {
      // The server renders the saved draft: let the autosave catch up with what is on screen.
      for (let i = 0; i < 30 && !["idle", "saved"].includes(store.getState().saveStatus); i++) await new Promise((r) => setTimeout(r, 100));
      setOut(await testRunApi.preview(workflowId, { nodeId, executionId: runId }));
    } catch (e) {
      setError(errorMessage(e));
      setOut(null);
    } finally {
      setPending(false);
    }
  };
  return (
    <section className="space-y-2 border-t border-slate-100 pt-3" data-testid="step-preview">
      <div className="flex items-center justify-between gap-2">
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Run this step</h3>
        <Button size="sm" icon={<Play className="size-3.5" />} loading={pending} onClick={() => void go()} data-testid="step-preview-run">
          Run step
        </Button>
      </div>
      <p className="text-xs text-slate-500">
        Renders this step against {latest.data && useRun ? "the last test run's context" : "the pinned sample data"}. Nothing is sent.
      </p>
      {latest.data && (
        <label className="flex items-center gap-1.5 text-xs text-slate-600">
          <input type="checkbox" checked={useRun} onChange={(e) => setUseRun(e.target.checked)} className="size-3.5" data-testid="step-preview-use-run" />
          Use the last test run (step outputs so far)
        </label>
      )}
      {error && <Alert>{error}</Alert>}
      {out && (
        <div className="space-y-2" data-testid="step-preview-result">
          <div className="flex flex-wrap gap-1.5">
            {out.error ? <Badge tone="red">would fail</Badge> : out.skipped ? <Badge tone="amber">would be skipped</Badge> : <Badge tone="green">ok</Badge>}
            {out.handle && <Badge tone="blue">→ {out.handle}</Badge>}
          </div>
          {out.error && <p className="text-xs text-red-700" data-testid="step-preview-error">{out.error}</p>}
          {out.skipped && <p className="text-xs text-amber-800">{out.skipped}</p>}
          {out.input !== undefined && out.input !== null && <Block label="Rendered input" value={out.input} testId="step-preview-input" />}
          {out.output !== undefined && out.output !== null && <Block label="Output" value={out.output} testId="step-preview-output" />}
          <details className="text-xs">
            <summary className="cursor-pointer text-slate-500">Context</summary>
            <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-50 p-2 font-mono text-[11px] text-slate-700">{show(out.context)}</pre>
          </details>
        </div>
      )}
    </section>
  );
}

function Block({ label, value, testId }: { label: string; value: unknown; testId: string }) {
  return (
    <div>
      <div className="mb-1 text-xs font-medium text-slate-600">{label}</div>
      <pre className="max-h-64 overflow-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-[11px] leading-5 break-all whitespace-pre-wrap text-slate-100" data-testid={testId}>
        {show(value)}
      </pre>
    </div>
  );
}
