"use client";
import { useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { AlertCircle, Upload } from "lucide-react";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys, type ValidationProblem, type Workflow } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog } from "@/shared/ui";
import { MAX_IMPORT_BYTES, parseWorkflowFile } from "../lib/parse";

/** The problems of a 422 (errors[].value) or an empty list. */
function problemsOf(e: unknown): string[] {
  if (!isApiError(e)) return [];
  return (e.problem.errors ?? []).map((d) => [d.location, d.message].filter(Boolean).join(": ")).filter(Boolean);
}

/**
 * ImportWorkflowButton reads a workflow file exported from NextFlow and
 * creates it as a new workflow. A file that is not one is refused with the
 * reason; a draft that imports with problems (a step type this server does
 * not have, a missing field) opens a list of them before the builder.
 */
export function ImportWorkflowButton() {
  const input = useRef<HTMLInputElement>(null);
  const router = useRouter();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ title: string; lines: string[] } | null>(null);
  const [result, setResult] = useState<{ workflow: Workflow; problems: ValidationProblem[] } | null>(null);

  const importFile = async (file: File) => {
    setError(null);
    if (file.size > MAX_IMPORT_BYTES) return setError({ title: `${file.name} is too large to be a workflow (over 2 MB).`, lines: [] });
    const parsed = parseWorkflowFile(await file.text(), file.name);
    if (!parsed.ok) return setError({ title: parsed.error, lines: [] });
    setBusy(true);
    try {
      const wf = await workflowApi.importJson(parsed.value);
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
      const check = await workflowApi.validate(wf.id).catch(() => null);
      const problems = check?.problems ?? [];
      if (problems.length === 0) router.push(routes.workflow(wf.id));
      else setResult({ workflow: wf, problems });
    } catch (e) {
      setError({ title: `${file.name} could not be imported: ${errorMessage(e)}`, lines: problemsOf(e) });
    } finally {
      setBusy(false);
    }
  };

  const label = (p: ValidationProblem) => {
    const node = result?.workflow.definition?.nodes?.find((n) => n.id === p.nodeId);
    return node ? node.label || node.id : p.edgeId ? `Connection ${p.edgeId}` : "Workflow";
  };
  return (
    <>
      <input
        ref={input}
        type="file"
        accept=".json,application/json"
        className="sr-only"
        tabIndex={-1}
        aria-hidden
        data-testid="import-workflow-file"
        onChange={(e) => {
          const f = e.target.files?.[0];
          e.target.value = "";
          if (f) void importFile(f);
        }}
      />
      <Button icon={<Upload className="size-4" />} loading={busy} onClick={() => input.current?.click()} data-testid="import-workflow">
        Import
      </Button>
      <Dialog
        open={error !== null}
        onClose={() => setError(null)}
        title="Import failed"
        footer={
          <>
            <Button onClick={() => setError(null)} data-testid="import-error-close">
              Close
            </Button>
            <Button variant="primary" onClick={() => (setError(null), input.current?.click())}>
              Choose another file
            </Button>
          </>
        }
      >
        <div data-testid="import-error">
          <Alert>{error?.title}</Alert>
          {error && error.lines.length > 0 && (
            <ul className="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-700">
              {error.lines.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          )}
        </div>
      </Dialog>
      <Dialog
        open={result !== null}
        onClose={() => setResult(null)}
        title={`Imported “${result?.workflow.name ?? ""}” as a draft`}
        description={`It needs ${result?.problems.length === 1 ? "one fix" : `${result?.problems.length ?? 0} fixes`} before it can be published. Nothing runs until then.`}
        footer={
          <>
            <Button onClick={() => setResult(null)}>Stay here</Button>
            <Button variant="primary" onClick={() => result && router.push(routes.workflow(result.workflow.id))} data-testid="import-open-builder">
              Open in builder
            </Button>
          </>
        }
      >
        <ul className="max-h-72 space-y-2 overflow-auto" data-testid="import-problems">
          {result?.problems.map((p, i) => (
            <li key={i} className="flex gap-2 rounded-md border border-red-100 bg-red-50/60 px-3 py-2 text-sm">
              <AlertCircle className="mt-0.5 size-4 shrink-0 text-red-500" aria-hidden />
              <span>
                <span className="font-medium text-slate-900">{label(p)}:</span> <span className="text-red-800">{p.message}</span>
              </span>
            </li>
          ))}
        </ul>
      </Dialog>
    </>
  );
}
