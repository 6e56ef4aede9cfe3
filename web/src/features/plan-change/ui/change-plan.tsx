"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { formatLimit, usePlans, workspaceApi } from "@/entities/workspace";
import { errorMessage, queryKeys, type Plan, type PlanLimits } from "@/shared/api";
import { cn } from "@/shared/lib";
import { Alert, Button, Dialog, Skeleton } from "@/shared/ui";

const rows: { key: keyof PlanLimits; label: string }[] = [
  { key: "activeWorkflows", label: "Active workflows" },
  { key: "executionsPerMonth", label: "Executions / month" },
  { key: "contacts", label: "Contacts" },
  { key: "messagesPerMonth", label: "Messages / month" },
  { key: "members", label: "Members" },
  { key: "aiTokensPerMonth", label: "AI tokens / month" },
  { key: "apiRequestsPerSecond", label: "API requests / s" },
];

/** The OWNER's "Change plan" button: pick FREE, PRO or BIZ and switch. */
export function ChangePlanButton({ current }: { current: Plan }) {
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState<Plan>(current);
  const plans = usePlans();
  const qc = useQueryClient();
  const change = useMutation({
    mutationFn: () => workspaceApi.setPlan(choice),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: queryKeys.usage });
      void qc.invalidateQueries({ queryKey: queryKeys.me });
      setOpen(false);
    },
  });
  const close = () => (setOpen(false), change.reset());
  return (
    <>
      <Button size="sm" onClick={() => (setChoice(current), setOpen(true))} data-testid="plan-change">
        Change plan
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Change plan"
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" loading={change.isPending} disabled={choice === current} onClick={() => change.mutate()} data-testid="plan-confirm">
              Switch to {choice}
            </Button>
          </>
        }
      >
        <p className="mb-3 text-sm text-slate-600">
          Nothing is deleted on a smaller plan: what is over its limits stays, and creating more is refused until usage is back under them.
        </p>
        {plans.isPending ? (
          <Skeleton className="h-40 w-full" />
        ) : (
          <div className="grid gap-2 sm:grid-cols-3" role="radiogroup" aria-label="Plan">
            {(plans.data ?? []).map((p) => (
              <button
                key={p.plan}
                type="button"
                role="radio"
                aria-checked={choice === p.plan}
                data-testid={`plan-option-${p.plan}`}
                onClick={() => setChoice(p.plan as Plan)}
                className={cn(
                  "flex flex-col justify-start rounded-lg border p-3 text-left text-xs transition",
                  choice === p.plan ? "border-brand-500 ring-2 ring-brand-500/30" : "border-slate-200 hover:border-slate-300",
                )}
              >
                <div className="mb-2 flex items-center justify-between text-sm font-semibold text-slate-900">
                  {p.plan}
                  {p.plan === current && <span className="text-xs font-normal text-slate-500">current</span>}
                </div>
                <dl className="space-y-1">
                  {rows.map((r) => (
                    <div key={r.key} className="flex justify-between gap-2">
                      <dt className="text-slate-500">{r.label}</dt>
                      <dd className="tabular-nums text-slate-800">{formatLimit(Number(p[r.key]))}</dd>
                    </div>
                  ))}
                </dl>
              </button>
            ))}
          </div>
        )}
        {change.isError && (
          <div className="mt-3">
            <Alert tone="error">{errorMessage(change.error)}</Alert>
          </div>
        )}
      </Dialog>
    </>
  );
}
