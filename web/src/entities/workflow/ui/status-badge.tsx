import { Badge } from "@/shared/ui";

/** Active / draft / published badge of a workflow. */
export function WorkflowStatusBadge({ isActive, currentVersion }: { isActive: boolean; currentVersion: number }) {
  if (isActive) return <Badge tone="green">Active · v{currentVersion}</Badge>;
  if (currentVersion > 0) return <Badge tone="blue">Published · v{currentVersion}</Badge>;
  return <Badge tone="gray">Draft</Badge>;
}
