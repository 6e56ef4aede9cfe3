"use client";
import { useId, useMemo, useState, type FormEvent } from "react";
import { useRouter } from "next/navigation";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Megaphone } from "lucide-react";
import { broadcastApi, type ScheduleMode } from "@/entities/broadcast";
import { useSegments } from "@/entities/segment";
import { useCan } from "@/entities/session";
import { useWorkflows } from "@/entities/workflow";
import { errorMessage, queryKeys } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Button, Dialog, Field, Input, Select } from "@/shared/ui";

const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** Tomorrow at 09:00, as an <input type="datetime-local"> holds it. */
function tomorrowNine(): string {
  const d = new Date(Date.now() + 86_400_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T09:00`;
}

/** "about 3 minutes" for n contacts at rate per second. */
export function sendDuration(n: number, rate: number): string {
  if (n <= 0 || rate <= 0) return "";
  const s = Math.ceil(n / rate);
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.round(s / 60);
  if (m < 120) return `about ${m} minute${m === 1 ? "" : "s"}`;
  return `about ${Math.round(m / 60)} hours`;
}

/**
 * "New broadcast": a published workflow run once for every member of a
 * segment, now, at a time in a timezone, or at the same local time for
 * each contact, at a send rate. Shows the audience's size before sending.
 */
export function CreateBroadcastButton({ segmentId, variant = "primary" }: { segmentId?: string; variant?: "primary" | "secondary" }) {
  const can = useCan("executions:run");
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [segment, setSegment] = useState(segmentId ?? "");
  const [workflow, setWorkflow] = useState("");
  const [mode, setMode] = useState<ScheduleMode>("now");
  const [sendAt, setSendAt] = useState(tomorrowNine);
  const [timezone, setTimezone] = useState(localZone);
  const [rate, setRate] = useState("50");
  const zones = useId();
  const segments = useSegments();
  const workflows = useWorkflows();
  const router = useRouter();
  const qc = useQueryClient();
  const published = useMemo(() => (workflows.data?.items ?? []).filter((w) => w.currentVersion > 0), [workflows.data]);
  const chosen = segments.data?.find((s) => s.id === segment);
  const create = useMutation({
    mutationFn: () =>
      broadcastApi.create({
        name: name.trim(),
        segmentId: segment,
        workflowId: workflow,
        scheduleMode: mode,
        sendAt: mode === "now" ? undefined : sendAt,
        timezone: mode === "now" ? undefined : timezone.trim() || "UTC",
        ratePerSecond: Number(rate),
      }),
    onSuccess: (b) => {
      void qc.invalidateQueries({ queryKey: queryKeys.broadcasts.all });
      setOpen(false);
      router.push(routes.broadcast(b.id));
    },
  });
  const rateOk = /^\d+$/.test(rate) && Number(rate) >= 1 && Number(rate) <= 100_000;
  const ready = name.trim() && segment && workflow && rateOk && (mode === "now" || sendAt);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) create.mutate();
  };
  const zoneList = useMemo(() => (open && typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : []), [open]);
  return (
    <>
      <Button
        variant={variant}
        icon={<Megaphone className="size-4" />}
        disabled={!can}
        title={can ? undefined : "Your role may not start executions (executions:run)."}
        onClick={() => (setOpen(true), create.reset())}
        data-testid="new-broadcast"
      >
        {segmentId ? "Broadcast to this segment" : "New broadcast"}
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title="New broadcast"
        description="Runs a published workflow once for every member of a segment, exactly once per contact."
        footer={
          <>
            <Button onClick={() => setOpen(false)}>Cancel</Button>
            <Button variant="primary" type="submit" form="broadcast-create" loading={create.isPending} disabled={!ready} data-testid="broadcast-submit">
              {mode === "now" ? "Send now" : "Schedule"}
            </Button>
          </>
        }
      >
        <form id="broadcast-create" className="space-y-3" onSubmit={submit} noValidate>
          {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
          <Field label="Name" required>
            {(ids) => <Input {...ids} value={name} maxLength={100} placeholder="e.g. Spring sale" onChange={(e) => setName(e.target.value)} data-testid="broadcast-name" />}
          </Field>
          <Field
            label="Audience"
            required
            hint={
              chosen ? (
                <span data-testid="broadcast-audience">
                  {chosen.computedAt ? (
                    <>
                      <span className="font-semibold text-slate-800">{chosen.memberCount.toLocaleString("en")}</span> contact{chosen.memberCount === 1 ? "" : "s"} now; the
                      members when it starts get it{rateOk && chosen.memberCount > 0 ? `, in ${sendDuration(chosen.memberCount, Number(rate))} at this rate` : ""}.
                    </>
                  ) : (
                    "The segment is being computed."
                  )}
                </span>
              ) : undefined
            }
          >
            {(ids) => (
              <Select {...ids} value={segment} onChange={(e) => setSegment(e.target.value)} data-testid="broadcast-segment">
                <option value="">Choose a segment…</option>
                {(segments.data ?? []).map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Workflow" required hint={published.length === 0 && !workflows.isPending ? "Publish a workflow first: only published workflows can be broadcast." : "Its published version runs from its manual trigger."}>
            {(ids) => (
              <Select {...ids} value={workflow} onChange={(e) => setWorkflow(e.target.value)} data-testid="broadcast-workflow">
                <option value="">Choose a published workflow…</option>
                {published.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name} (v{w.currentVersion})
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="When">
            {(ids) => (
              <Select {...ids} value={mode} onChange={(e) => setMode(e.target.value as ScheduleMode)} data-testid="broadcast-mode">
                <option value="now">Now</option>
                <option value="at">At a time in one timezone</option>
                <option value="contact_local">At the same local time for each contact</option>
              </Select>
            )}
          </Field>
          {mode !== "now" && (
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label="Date and time" required>
                {(ids) => <Input {...ids} type="datetime-local" value={sendAt} onChange={(e) => setSendAt(e.target.value)} data-testid="broadcast-send-at" />}
              </Field>
              <Field label={mode === "contact_local" ? "Timezone of contacts without one" : "Timezone"}>
                {(ids) => (
                  <>
                    <Input {...ids} list={zones} value={timezone} autoComplete="off" onChange={(e) => setTimezone(e.target.value)} data-testid="broadcast-timezone" />
                    <datalist id={zones}>
                      {zoneList.map((z) => (
                        <option key={z} value={z} />
                      ))}
                    </datalist>
                  </>
                )}
              </Field>
            </div>
          )}
          <Field label="Send rate" hint="Contacts started per second at most, so providers and your systems are not flooded." error={rate && !rateOk ? "A whole number from 1 to 100,000." : undefined}>
            {(ids) => (
              <div className="flex items-center gap-2">
                <Input {...ids} inputMode="numeric" value={rate} onChange={(e) => setRate(e.target.value)} className="w-28 text-right" data-testid="broadcast-rate" />
                <span className="text-sm text-slate-500">per second</span>
              </div>
            )}
          </Field>
        </form>
      </Dialog>
    </>
  );
}
