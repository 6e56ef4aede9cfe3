"use client";
import { useState } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LayoutTemplate } from "lucide-react";
import { NodeIcon, useNodeTypes, useWorkflowStarters, workflowApi } from "@/entities/workflow";
import { errorMessage, queryKeys } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Badge, Button, Dialog, ErrorState, Skeleton } from "@/shared/ui";

type Starter = NonNullable<Awaited<ReturnType<typeof workflowApi.starters>>>[number];

const channelLabel: Record<string, string> = { email: "Email", whatsapp: "WhatsApp", messenger: "Messenger" };

/**
 * StarterGalleryButton opens the starter journeys (welcome series,
 * abandoned cart, weekly digest, reply triage) and creates a new workflow
 * from the chosen one, opened in the builder. Each is a valid journey that
 * publishes once its channels are connected.
 */
export function StarterGalleryButton({ variant = "secondary" }: { variant?: "primary" | "secondary" }) {
  const [open, setOpen] = useState(false);
  const starters = useWorkflowStarters(open);
  const types = useNodeTypes();
  const labelOf = (t: string) => types.data?.find((n) => n.type === t)?.label ?? t;
  const router = useRouter();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (s: Starter) => workflowApi.create({ name: s.name, description: s.description, definition: s.definition }),
    onSuccess: (wf) => {
      void qc.invalidateQueries({ queryKey: queryKeys.workflows.all });
      router.push(routes.workflow(wf.id));
    },
  });
  return (
    <>
      <Button variant={variant} icon={<LayoutTemplate className="size-4" />} onClick={() => setOpen(true)} data-testid="open-starters">
        From a template
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="Start from a template"
        description="Ready-made journeys using real steps. Connect their channels, adjust the wording, publish."
        className="!max-w-3xl"
        footer={<Button onClick={() => setOpen(false)}>Close</Button>}
      >
        {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
        {starters.isPending ? (
          <div className="grid gap-3 sm:grid-cols-2">
            {[0, 1, 2, 3].map((i) => (
              <Skeleton key={i} className="h-40" />
            ))}
          </div>
        ) : starters.isError ? (
          <ErrorState error={errorMessage(starters.error)} onRetry={() => void starters.refetch()} />
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2" data-testid="starter-list">
            {starters.data.map((s) => (
              <li key={s.id} className="flex flex-col rounded-lg border border-slate-200 p-3" data-testid={`starter-${s.id}`}>
                <h3 className="text-sm font-semibold text-slate-900">{s.name}</h3>
                <p className="mt-1 flex-1 text-xs leading-5 text-slate-600">{s.description}</p>
                <div className="mt-2 flex flex-wrap gap-1" aria-label="Steps used">
                  {(s.nodeTypes ?? []).map((t) => (
                    <span key={t} className="inline-flex items-center gap-1 rounded bg-slate-100 px-1.5 py-0.5 text-[11px] text-slate-600" title={t}>
                      <NodeIcon type={t} className="size-3" />
                      {labelOf(t)}
                    </span>
                  ))}
                </div>
                <div className="mt-3 flex flex-wrap items-center gap-2">
                  <span className="sr-only">Channels:</span>
                  {(s.channels ?? []).map((c) => (
                    <Badge key={c}>{channelLabel[c] ?? c}</Badge>
                  ))}
                  <Button
                    size="sm"
                    variant="primary"
                    className="ml-auto"
                    loading={create.isPending && create.variables?.id === s.id}
                    disabled={create.isPending}
                    onClick={() => create.mutate(s)}
                    data-testid={`use-starter-${s.id}`}
                  >
                    Use template
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Dialog>
    </>
  );
}
