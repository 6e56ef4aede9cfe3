"use client";
import { Suspense, useState } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { ArrowLeft, Ban, RotateCcw } from "lucide-react";
import { ExecutionStatusBadge, isLiveStatus, useExecution } from "@/entities/execution";
import { MessageItem, messagesByStep, useMessages } from "@/entities/message";
import { useTemplates } from "@/entities/message-template";
import { contactLabel, useContact } from "@/entities/contact";
import { useNodeTypes, useWorkflow, useWorkflowVersions } from "@/entities/workflow";
import { useExecutionAction } from "@/features/execution-control";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { formatDateTime, formatDuration, shortId } from "@/shared/lib";
import { Badge, Button, Card, CardHeader, ConfirmDialog, EmptyState, ErrorState, Skeleton } from "@/shared/ui";
import { ExecutionTimeline, JsonBlock } from "@/widgets/execution-timeline";

function Meta({ label, children, wide }: { label: string; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? "col-span-2 min-w-0 sm:col-span-1" : "min-w-0"}>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

function ExecutionView({ id }: { id: string }) {
  const ex = useExecution(id);
  const wf = useWorkflow(ex.data?.workflowId ?? null);
  const action = useExecutionAction(id);
  const [confirmCancel, setConfirmCancel] = useState(false);
  // The messages the execution's send steps sent, polled while it runs or one is still queued.
  const live = isLiveStatus(String(ex.data?.status ?? ""));
  const msgs = useMessages({ executionId: id }, true, (loaded) => (live || loaded.some((m) => m.status === "queued") ? 3000 : false));
  const sent = msgs.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const templates = useTemplates();
  const contact = useContact(ex.data?.contactId ?? null);
  const versions = useWorkflowVersions(ex.data?.workflowId ?? null);
  const nodeTypes = useNodeTypes();
  if (ex.isPending) {
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-24 w-full" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  if (ex.isError && !ex.data) {
    return <ErrorState error={isApiError(ex.error) && ex.error.status === 404 ? "This execution does not exist in this workspace." : errorMessage(ex.error)} onRetry={() => void ex.refetch()} />;
  }
  const e = ex.data;
  const status = String(e.status);
  // Step labels of the version the execution ran (the draft may have renamed or removed steps since).
  const ranNodes = versions.data?.find((v) => v.version === e.version)?.definition?.nodes ?? wf.data?.definition?.nodes ?? [];
  const labels = Object.fromEntries(ranNodes.filter((n) => n.label).map((n) => [n.id, n.label!]));
  const ctx = (e.context ?? null) as Record<string, unknown> | null;
  const trigger = (ctx?.trigger ?? null) as Record<string, unknown> | null;
  const triggerNode = ranNodes.find((n) => n.type === e.triggerType);
  const eventName = ((trigger?.event as Record<string, unknown> | undefined)?.name as string | undefined) ?? undefined;
  const startedBy = [
    triggerNode?.label || nodeTypes.data?.find((t) => t.type === e.triggerType)?.label || e.triggerType || "a trigger",
    eventName && `(${eventName})`,
  ]
    .filter(Boolean)
    .join(" ");
  // Step outputs keyed by the steps' labels, in the order they ran.
  const outputs = ctx?.steps as Record<string, unknown> | undefined;
  const namedOutputs =
    outputs && Object.keys(outputs).length > 0
      ? Object.fromEntries(Object.entries(outputs).map(([id, v]) => [labels[id] ? `${labels[id]} (${id})` : id, v]))
      : null;
  const steps = e.steps ?? [];
  const names = new Map((templates.data ?? []).map((t) => [t.id, t.name]));
  const bySeq = messagesByStep(steps, sent);
  const stepMessages = (s: (typeof steps)[number]) => {
    const list = bySeq.get(s.seq ?? -1);
    if (!list?.length) return null;
    return (
      <ul className="divide-y divide-slate-100" data-testid="step-messages" aria-label="Messages sent by this step">
        {list.map((m) => (
          <MessageItem key={m.id} m={m} compact templateName={m.templateId ? names.get(m.templateId) : undefined} />
        ))}
      </ul>
    );
  };
  return (
    <>
      <Link href={routes.executions()} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-3.5" aria-hidden /> Executions
      </Link>
      <ConfirmDialog
        open={confirmCancel}
        title="Cancel this execution?"
        confirmLabel="Cancel execution"
        pending={action.isPending && action.variables === "cancel"}
        onCancel={() => setConfirmCancel(false)}
        onConfirm={() => action.mutate("cancel", { onSettled: () => setConfirmCancel(false) })}
      >
        The contact leaves the workflow at the step it is on; steps not yet run are skipped. This cannot be undone, but you can start the workflow again.
      </ConfirmDialog>
      <div className="mb-5 flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="flex flex-wrap items-center gap-x-3 gap-y-1 text-lg font-semibold text-slate-900">
            Execution <span className="font-mono text-base text-slate-500">{shortId(e.id)}</span>
            <ExecutionStatusBadge status={status} testId="execution-status" />
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {isLiveStatus(status) ? "Updating live as steps run." : `Finished ${formatDateTime(e.finishedAt)}.`}
          </p>
        </div>
        <div className="flex gap-2">
          {isLiveStatus(status) && (
            <Button variant="danger" icon={<Ban className="size-4" />} loading={action.isPending && action.variables === "cancel"} onClick={() => setConfirmCancel(true)} data-testid="cancel-execution">
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
        <dl className="grid grid-cols-2 gap-4 px-4 py-3 sm:grid-cols-5">
          <Meta label="Workflow" wide>
            <Link href={routes.workflow(e.workflowId)} className="text-brand-700 hover:underline">
              {wf.data?.name ?? shortId(e.workflowId)}
            </Link>{" "}
            {e.test ? (
              <Badge tone="violet" title="A test run of the draft: left out of stats" data-testid="execution-test-badge">
                test run of the draft
              </Badge>
            ) : (
              <span className="text-xs text-slate-400">v{e.version}</span>
            )}
          </Meta>
          <Meta label="Contact">
            {e.contactId ? (
              <Link href={routes.contact(e.contactId)} className="text-brand-700 hover:underline" data-testid="execution-contact">
                {contact.data ? contactLabel(contact.data) : <span className="font-mono text-xs">{shortId(e.contactId)}</span>}
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
      <div className="grid grid-cols-[minmax(0,1fr)] gap-5 lg:grid-cols-[minmax(0,1fr)_340px]">
        <section aria-label="Steps">
          <h2 className="mb-3 text-sm font-semibold text-slate-900">Timeline</h2>
          <ExecutionTimeline steps={steps} labels={labels} stepExtra={stepMessages} />
        </section>
        <Card className="self-start">
          <CardHeader title="Context" description={`Started by ${startedBy}; what expressions and templates see.`} />
          <div className="space-y-3 p-4" data-testid="execution-context">
            {ctx == null ? <p className="text-xs text-slate-400">No context recorded.</p> : <JsonBlock label="Trigger" value={trigger ?? ctx} />}
            {ctx?.contact != null && Object.keys(ctx.contact as object).length > 0 && <JsonBlock label="Contact" value={ctx.contact} />}
            {namedOutputs && <JsonBlock label="Step outputs" value={namedOutputs} />}
            {ctx?.vars != null && <JsonBlock label="Variables" value={ctx.vars} />}
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
