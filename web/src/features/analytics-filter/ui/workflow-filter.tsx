"use client";
import { useWorkflows } from "@/entities/workflow";
import { Select } from "@/shared/ui";

/** Narrows an analytics view to one workflow (or all of the workspace's). */
export function WorkflowFilter({ value, onChange }: { value: string; onChange: (workflowId: string) => void }) {
  const list = useWorkflows();
  const items = list.data?.items ?? [];
  // A workflow chosen by link but not (yet) in the first page of the list still shows as chosen.
  const known = !value || items.some((w) => w.id === value);
  return (
    <>
      <label htmlFor="analytics-workflow" className="sr-only">
        Workflow
      </label>
      <Select id="analytics-workflow" className="w-56 max-w-full" value={value} onChange={(e) => onChange(e.target.value)} data-testid="workflow-filter">
        <option value="">All workflows</option>
        {!known && <option value={value}>Selected workflow</option>}
        {items.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </Select>
    </>
  );
}
