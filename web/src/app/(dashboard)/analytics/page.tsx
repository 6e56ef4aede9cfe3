"use client";
import { Suspense } from "react";
import Link from "next/link";
import { ArrowRight } from "lucide-react";
import { PeriodPicker, useAnalyticsFilter, WorkflowFilter } from "@/features/analytics-filter";
import { routes } from "@/shared/config";
import { PageHeader } from "@/shared/ui";
import { AnalyticsOverview } from "@/widgets/analytics-overview";

function Analytics() {
  const f = useAnalyticsFilter();
  const filter = f.period ? { ...f.period, workflowId: f.workflowId || undefined } : null;
  return (
    <>
      <PageHeader title="Analytics" description="What your journeys did: executions per day by how they ended, and message delivery by channel. Days are UTC days." />
      <div className="mb-4 flex flex-wrap items-center gap-2" data-testid="analytics-filters">
        <PeriodPicker
          kind={f.kind}
          customFrom={f.customFrom}
          customTo={f.customTo}
          error={f.error}
          onChange={(p) => f.set({ kind: p.kind, customFrom: p.customFrom, customTo: p.customTo })}
        />
        <WorkflowFilter value={f.workflowId} onChange={(workflowId) => f.set({ workflowId })} />
        {f.workflowId && (
          <Link
            href={routes.workflowAnalytics(f.workflowId)}
            className="inline-flex items-center gap-1 text-sm font-medium text-brand-600 hover:underline"
            data-testid="open-workflow-analytics"
          >
            Funnel, splits and conversion <ArrowRight className="size-3.5" aria-hidden />
          </Link>
        )}
      </div>
      <AnalyticsOverview filter={filter} />
    </>
  );
}

export default function AnalyticsPage() {
  return (
    <Suspense>
      <Analytics />
    </Suspense>
  );
}
