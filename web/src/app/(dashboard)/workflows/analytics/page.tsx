"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { ArrowLeft } from "lucide-react";
import { useWorkflow, WorkflowStatusBadge } from "@/entities/workflow";
import { PeriodPicker, useAnalyticsFilter } from "@/features/analytics-filter";
import { errorMessage } from "@/shared/api";
import { routes } from "@/shared/config";
import { EmptyState, ErrorState, PageHeader } from "@/shared/ui";
import { AnalyticsOverview } from "@/widgets/analytics-overview";
import { WorkflowAnalytics } from "@/widgets/workflow-analytics";

function ForWorkflow({ id }: { id: string }) {
  const wf = useWorkflow(id);
  const f = useAnalyticsFilter();
  if (wf.isError) return <ErrorState error={errorMessage(wf.error)} onRetry={() => void wf.refetch()} />;
  return (
    <>
      <PageHeader
        title={
          <span className="inline-flex items-center gap-2">
            <Link href={routes.workflow(id)} aria-label="Back to the workflow" className="rounded p-1 text-slate-500 hover:bg-slate-100">
              <ArrowLeft className="size-4" />
            </Link>
            <span className="truncate" data-testid="workflow-analytics-name">
              {wf.data?.name ?? "Workflow"}
            </span>
            {wf.data && <WorkflowStatusBadge isActive={wf.data.isActive} currentVersion={wf.data.currentVersion} />}
          </span>
        }
        description="This workflow's executions per day, its funnel step by step, conversion to a goal event and its A/B splits. Days are UTC days."
        actions={
          <Link href={routes.workflow(id)} className="hidden text-sm font-medium text-brand-600 hover:underline sm:inline" data-testid="open-builder">
            Open in the builder
          </Link>
        }
      />
      <div className="mb-4">
        <PeriodPicker
          kind={f.kind}
          customFrom={f.customFrom}
          customTo={f.customTo}
          error={f.error}
          onChange={(p) => f.set({ kind: p.kind, customFrom: p.customFrom, customTo: p.customTo })}
        />
      </div>
      <AnalyticsOverview filter={f.period ? { ...f.period, workflowId: id } : null} />
      <div className="mt-4">
        <WorkflowAnalytics workflowId={id} period={f.period} goal={{ goal: f.goal, within: f.within }} onGoal={(g) => f.set(g)} />
      </div>
    </>
  );
}

function Page() {
  const id = useSearchParams().get("id");
  if (!id) {
    return (
      <EmptyState
        title="No workflow selected"
        description="Open a workflow's analytics from the builder or from the analytics page's workflow filter."
        action={
          <Link className="text-sm font-medium text-brand-600 hover:underline" href={routes.analytics()}>
            Go to analytics
          </Link>
        }
      />
    );
  }
  return <ForWorkflow key={id} id={id} />;
}

export default function WorkflowAnalyticsPage() {
  return (
    <Suspense>
      <Page />
    </Suspense>
  );
}
