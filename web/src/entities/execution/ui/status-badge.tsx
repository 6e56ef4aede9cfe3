import { CheckCircle2, CircleDashed, Clock, Loader2, Ban, XCircle } from "lucide-react";
import { Badge } from "@/shared/ui";

const look: Record<string, { tone: "gray" | "green" | "red" | "amber" | "blue"; Icon: typeof Clock; label: string }> = {
  PENDING: { tone: "gray", Icon: CircleDashed, label: "Pending" },
  RUNNING: { tone: "blue", Icon: Loader2, label: "Running" },
  WAITING: { tone: "amber", Icon: Clock, label: "Waiting" },
  COMPLETED: { tone: "green", Icon: CheckCircle2, label: "Completed" },
  FAILED: { tone: "red", Icon: XCircle, label: "Failed" },
  CANCELLED: { tone: "gray", Icon: Ban, label: "Cancelled" },
  SKIPPED: { tone: "gray", Icon: CircleDashed, label: "Skipped" },
};

/** The status of an execution or a step, with an icon and a colour. */
export function ExecutionStatusBadge({ status, testId }: { status: string; testId?: string }) {
  const l = look[status.toUpperCase()] ?? { tone: "gray" as const, Icon: CircleDashed, label: status };
  return (
    <Badge tone={l.tone} data-testid={testId} data-status={status.toUpperCase()}>
      <l.Icon className={`size-3 ${status.toUpperCase() === "RUNNING" ? "animate-spin" : ""}`} aria-hidden />
      {l.label}
    </Badge>
  );
}
