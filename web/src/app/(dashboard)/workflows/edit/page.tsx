"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { WorkflowBuilder } from "@/features/workflow-builder";
import { routes } from "@/shared/config";
import { EmptyState } from "@/shared/ui";

function Edit() {
  const id = useSearchParams().get("id");
  if (!id) {
    return (
      <EmptyState
        title="No workflow selected"
        description="Open a workflow from the list to edit it."
        action={
          <Link className="text-sm font-medium text-brand-600 hover:underline" href={routes.workflows}>
            Go to workflows
          </Link>
        }
      />
    );
  }
  return <WorkflowBuilder key={id} workflowId={id} />;
}

export default function WorkflowEditPage() {
  return (
    <Suspense>
      <Edit />
    </Suspense>
  );
}
