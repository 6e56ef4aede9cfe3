"use client";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LogIn, LogOut } from "lucide-react";
import { useCan } from "@/entities/session";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, queryKeys } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Card, CardHeader } from "@/shared/ui";

type On = "entered" | "exited";

/** A new workflow whose trigger.segment starts on this segment's entries or exits. */
function starter(segmentId: string, on: On) {
  return {
    nodes: [{ id: "start", type: "trigger.segment", config: { segmentId, on, reentry: "one_at_a_time" }, position: { x: 0, y: 0 } }],
    edges: [],
  };
}

/**
 * How a segment is used in a journey: the Segment trigger on entered or
 * exited, with a button that creates such a workflow and opens it in the
 * builder.
 */
export function SegmentJourneyCard({ segment }: { segment: { id: string; name: string } }) {
  const can = useCan("workflows:write");
  const router = useRouter();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (on: On) =>
      workflowApi.create({
        name: `${segment.name}: on ${on === "entered" ? "entry" : "exit"}`.slice(0, 200),
        description: `Starts when a contact ${on === "entered" ? "enters" : "leaves"} the segment ${segment.name}.`,
        definition: starter(segment.id, on),
      }),
    onSuccess: (wf) => {
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
      router.push(routes.workflow(wf.id));
    },
  });
  const pending = create.isPending ? create.variables : undefined;
  return (
    <Card data-testid="segment-journey">
      <CardHeader title="Use it in a journey" />
      <div className="space-y-3 px-4 py-3 text-sm text-slate-600">
        <p>
          A workflow with the <span className="font-medium text-slate-800">Segment</span> trigger starts for a contact when they <em>enter</em> this segment, or when
          they <em>leave</em> it, under the workflow&apos;s re-entry policy. Members found by the first computation start nothing: they were there before anyone
          listened.
        </p>
        <p className="text-xs text-slate-500">
          Each change is also recorded on the contact as a <code className="rounded bg-slate-100 px-1 font-mono">segment.entered</code> or{" "}
          <code className="rounded bg-slate-100 px-1 font-mono">segment.exited</code> event with <code className="rounded bg-slate-100 px-1 font-mono">segmentId</code> and{" "}
          <code className="rounded bg-slate-100 px-1 font-mono">segmentName</code>, on the contact&apos;s timeline.
        </p>
        {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
        <div className="flex flex-wrap gap-2">
          <Button
            size="sm"
            icon={<LogIn className="size-3.5" />}
            disabled={!can || create.isPending}
            loading={pending === "entered"}
            title={can ? undefined : "Your role may not create workflows (workflows:write)."}
            onClick={() => create.mutate("entered")}
            data-testid="segment-journey-entered"
          >
            New journey on entry
          </Button>
          <Button
            size="sm"
            icon={<LogOut className="size-3.5" />}
            disabled={!can || create.isPending}
            loading={pending === "exited"}
            title={can ? undefined : "Your role may not create workflows (workflows:write)."}
            onClick={() => create.mutate("exited")}
            data-testid="segment-journey-exited"
          >
            New journey on exit
          </Button>
        </div>
      </div>
    </Card>
  );
}
