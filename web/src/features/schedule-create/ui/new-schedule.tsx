"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { scheduleApi } from "@/entities/schedule";
import { useWorkflow, useWorkflows } from "@/entities/workflow";
import { errorMessage, queryKeys } from "@/shared/api";
import { Alert, Button, Dialog, Field, Input, Select, useToast } from "@/shared/ui";
import { scheduleInputWarning } from "../model/input-warning";

/** The "New schedule" button and its dialog: a cron schedule for a published workflow. */
export function NewScheduleButton() {
  const [open, setOpen] = useState(false);
  const workflows = useWorkflows();
  const [v, setV] = useState<{ workflowId: string; cron: string; timezone: string; missedRuns: "skip" | "catch_up" }>({
    workflowId: "",
    cron: "0 9 * * 1-5",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    missedRuns: "skip",
  });
  const chosen = useWorkflow(v.workflowId || null);
  const warning = scheduleInputWarning(chosen.data?.definition?.nodes);
  const [acknowledged, setAcknowledged] = useState("");
  const qc = useQueryClient();
  const toast = useToast();
  const create = useMutation({
    mutationFn: () => scheduleApi.create(v),
    onSuccess: () => {
      setOpen(false);
      toast("Schedule created.");
      void qc.invalidateQueries({ queryKey: queryKeys.schedules.all });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The first submit shows the warning; the second, after reading it, saves.
    if (warning && acknowledged !== v.workflowId) {
      setAcknowledged(v.workflowId);
      return;
    }
    create.mutate();
  };
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)}>
        New schedule
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="New schedule"
        description="Starts the workflow on a cron schedule, in a time zone, exactly once per tick."
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" type="submit" form="new-schedule" loading={create.isPending} disabled={!v.workflowId || !v.cron}>
              {warning && acknowledged === v.workflowId ? "Create anyway" : "Create schedule"}
            </Button>
          </>
        }
      >
        <form id="new-schedule" className="space-y-4" onSubmit={submit}>
          {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
          <Field label="Workflow" required>
            {(ids) => (
              <Select {...ids} value={v.workflowId} onChange={(e) => setV({ ...v, workflowId: e.target.value })}>
                <option value="">Choose a workflow…</option>
                {(workflows.data?.items ?? []).map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          {warning && (
            <Alert tone="warning" className="text-xs" testId="schedule-input-warning">
              {warning}
            </Alert>
          )}
          <Field label="Cron" required hint="5 fields (minute hour day month weekday), or @daily, @every 15m.">
            {(ids) => <Input {...ids} className="font-mono" value={v.cron} onChange={(e) => setV({ ...v, cron: e.target.value })} />}
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field label="Time zone" hint="IANA name, e.g. Europe/Berlin.">
              {(ids) => <Input {...ids} value={v.timezone} onChange={(e) => setV({ ...v, timezone: e.target.value })} />}
            </Field>
            <Field label="After downtime">
              {(ids) => (
                <Select {...ids} value={v.missedRuns} onChange={(e) => setV({ ...v, missedRuns: e.target.value as "skip" | "catch_up" })}>
                  <option value="skip">Skip missed runs</option>
                  <option value="catch_up">Catch up</option>
                </Select>
              )}
            </Field>
          </div>
        </form>
      </Dialog>
    </>
  );
}
