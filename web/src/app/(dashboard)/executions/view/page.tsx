"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ArrowLeft, Ban, RotateCcw } from "lucide-react";
import { executionApi, ExecutionStatusBadge, isLiveStatus, useExecution } from "@/entities/execution";
import { useWorkflow } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatDuration, shortId } from "@/shared/lib";
import { Button, Card, CardHeader, EmptyState, ErrorState, Skeleton, useToast } from "@/shared/ui";
import { ExecutionTimeline, JsonBlock } from "@/widgets/execution-timeline";

function Meta({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 truncate text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function ExecutionView({ id }: { id: string }) {
  const ex = useExecution(id);
  const wf = useWorkflow(ex.data?.workflowId ?? null);
  const qc = useQueryClient();
  const toast = useToast();
  const action = useMutation({
    mutationFn: (kind: "cancel" | "retry") => (kind === "cancel" ? executionApi.cancel(id) : executionApi.retry(id)),
    onSuccess: (_, kind) => {
      toast(kind === "cancel" ? "Execution cancelled." : "Retrying from the failed step.");
      void qc.invalidateQueries({ queryKey: queryKeys.executions.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  if (ex.isPending) {
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-24 w-full" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  if (ex.isError) {
    return <ErrorState error={isApiError(ex.error) && ex.error.status === 404 ? "This execution does not exist in this workspace." : errorMessage(ex.error)} onRetry={() => void ex.refetch()} />;
  }
  const e = ex.data;
  const status = String(e.status);
  const labels = Object.fromEntries((wf.data?.definition?.nodes ?? []).filter((n) => n.label).map((n) => [n.id, n.label!]));
  const steps = e.steps ?? [];
  return (
    <>
      <Link href={routes.executions()} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Executions
      </Link>
      <div className="mb-5 flex items-start justify-between gap-4">
        <div>
          <h1 className="flex items-center gap-3 text-lg font-semibold text-slate-900">
            Execution <span className="font-mono text-base text-slate-500">{shortId(e.id)}</span>
            <ExecutionStatusBadge status={status} testId="execution-status" />
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {isLiveStatus(status) ? "Updating live as steps run." : `Finished ${formatDateTime(e.finishedAt)}.`}
          </p>
        </div>
        <div className="flex gap-2">
          {isLiveStatus(status) && (
            <Button variant="danger" icon={<Ban className="size-4" />} loading={action.isPending && action.variables === "cancel"} onClick={() => action.mutate("cancel")}>
              Cancel
            </Button>
          )}
          {status === "FAILED" && (
            <Button icon={<RotateCcw className="size-4" />} loading={action.isPending && action.variables === "retry"} onClick={() => action.mutate("retry")}>
              Retry
            </Button>
          )}
        </div>
      </div>
      <Card className="mb-5">
        <dl className="grid grid-cols-5 gap-4 px-4 py-3">
          <Meta label="Workflow">
            <Link href={routes.workflow(e.workflowId)} className="text-brand-700 hover:underline">
              {wf.data?.name ?? shortId(e.workflowId)}
            </Link>{" "}
            <span className="text-xs text-slate-400">v{e.version}</span>
          </Meta>
          <Meta label="Contact">
            {e.contactId ? (
              <Link href={routes.contact(e.contactId)} className="font-mono text-xs text-brand-700 hover:underline">
                {shortId(e.contactId)}
              </Link>
            ) : (
              <span className="text-slate-400">None</span>
            )}
          </Meta>
          <Meta label="Started">{formatDateTime(e.startedAt ?? e.createdAt)}</Meta>
          <Meta label="Duration">{e.finishedAt ? formatDuration(e.startedAt ?? e.createdAt, e.finishedAt) : "—"}</Meta>
          <Meta label="Steps">{steps.length}</Meta>
        </dl>
        {e.error && (
          <div className="border-t border-slate-100 px-4 py-3">
            <JsonBlock label="Error" value={e.error} tone="error" />
          </div>
        )}
      </Card>
      <div className="grid grid-cols-[minmax(0,1fr)_340px] gap-5">
        <section aria-label="Steps">
          <h2 className="mb-3 text-sm font-semibold text-slate-900">Timeline</h2>
          <ExecutionTimeline steps={steps} labels={labels} />
        </section>
        <Card className="self-start">
          <CardHeader title="Context" description={`Started by ${e.triggerType ?? "a trigger"}; what expressions and templates see.`} />
          <div className="space-y-3 p-4">
            {e.context == null ? <p className="text-xs text-slate-400">No context recorded.</p> : <JsonBlock label="Trigger" value={(e.context as Record<string, unknown>).trigger ?? e.context} />}
            {e.context && (e.context as Record<string, unknown>).vars != null && <JsonBlock label="Variables" value={(e.context as Record<string, unknown>).vars} />}
          </div>
        </Card>
      </div>
    </>
  );
}

function View() {
  const id = useSearchParams().get("id");
  if (!id) return <EmptyState title="No execution selected" description="Open an execution from the list." />;
  return <ExecutionView id={id} />;
}

export default function ExecutionPage() {
  return (
    <Suspense>
      <View />
    </Suspense>
  );
}
