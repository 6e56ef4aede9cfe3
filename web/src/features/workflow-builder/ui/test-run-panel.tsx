"use client";
import { useMemo, useState } from "react";
import Link from "next/link";
import { ArrowRight, FlaskConical, Save, ShieldCheck } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import { contactLabel, useContacts, useContact } from "@/entities/contact";
import { useMe } from "@/entities/session";
import { errorMessage, type ValidationProblem } from "@/shared/api";
import { routes } from "@/shared/config";
import { Alert, Badge, Button, Dialog, Field, Input, Select, Switch, Textarea } from "@/shared/ui";
import { useBuilder, useBuilderStore } from "../model/context";
import {
  parseObject,
  parseRecipients,
  skippedReason,
  testRunApi,
  testRunKeys,
  testRunProblems,
  useRunningExecution,
  useTestData,
  type TestData,
} from "../model/test-run";

const pretty = (v: unknown) => (v === undefined || v === null ? "" : JSON.stringify(v, null, 2));

const statusTone = { COMPLETED: "green", FAILED: "red", CANCELLED: "gray", WAITING: "amber", RUNNING: "blue", PENDING: "gray" } as const;

/**
 * "Test run": the draft runs, unpublished, as a real execution marked test,
 * with the sample data pinned to the workflow (trigger input or event, a
 * stored or typed contact) and safety options: delays and waits skipped,
 * sends only to the allow-list, HTTP and AI calls only when allowed.
 */
export function TestRunPanel(props: { workflowId: string; open: boolean; onClose: () => void; beforeRun: () => Promise<boolean> }) {
  const pinned = useTestData(props.workflowId, props.open);
  // The form starts from the pinned data: mounted afresh when the panel opens and once the data is there.
  return <TestRunDialog key={`${props.open}-${!!pinned.data}`} {...props} initial={props.open ? (pinned.data ?? null) : null} />;
}

function TestRunDialog({ workflowId, open, onClose, beforeRun, initial }: { workflowId: string; open: boolean; onClose: () => void; beforeRun: () => Promise<boolean>; initial: TestData | null }) {
  const store = useBuilderStore();
  const qc = useQueryClient();
  const me = useMe();
  const nodes = useBuilder((s) => s.nodes);
  const triggers = useMemo(
    () => nodes.filter((n) => n.data.type.startsWith("trigger.")).map((n) => ({ id: n.id, type: n.data.type, label: n.data.label })),
    [nodes],
  );

  const [triggerId, setTriggerId] = useState(initial?.triggerNodeId ?? "");
  const [input, setInput] = useState(pretty(initial?.input) || '{\n  "amount": 150\n}');
  const [event, setEvent] = useState(pretty(initial?.event));
  const [contactMode, setContactMode] = useState<"typed" | "stored">(initial?.contactId ? "stored" : "typed");
  const [contact, setContact] = useState(pretty(initial?.contact));
  const [contactId, setContactId] = useState<string | null>(initial?.contactId ?? null);
  const [search, setSearch] = useState("");
  const [skipDelays, setSkipDelays] = useState(initial?.options ? !!initial.options.skipDelays : true);
  const [recipients, setRecipients] = useState<string | null>(initial?.options?.recipients ? initial.options.recipients.join(", ") : null);
  const [allowHttp, setAllowHttp] = useState(!!initial?.options?.allowHttp);
  const [allowAi, setAllowAi] = useState(initial?.options ? !!initial.options.allowAi : true);
  const [formError, setFormError] = useState<string | null>(null);
  const [problems, setProblems] = useState<ValidationProblem[] | null>(null);
  const [pending, setPending] = useState<"save" | "run" | null>(null);
  const [saved, setSaved] = useState(false);
  const [runId, setRunId] = useState<string | null>(null);
  const run = useRunningExecution(runId);

  const trigger = triggers.find((t) => t.id === triggerId) ?? triggers[0];
  const wantsEvent = trigger?.type === "trigger.event";
  const myEmail = me.data?.user.email ?? "";
  const recipientText = recipients ?? myEmail;

  const sample = (): TestData => {
    const d: TestData = {};
    if (triggerId) d.triggerNodeId = triggerId;
    d.input = parseObject(input, "Trigger input");
    if (wantsEvent) d.event = parseObject(event, "Sample event");
    if (contactMode === "stored" && contactId) d.contactId = contactId;
    if (contactMode === "typed") d.contact = parseObject(contact, "Sample contact");
    d.options = { skipDelays, allowHttp, allowAi, recipients: parseRecipients(recipientText) };
    return d;
  };

  const save = async (): Promise<TestData | null> => {
    setFormError(null);
    let d: TestData;
    try {
      d = sample();
    } catch (e) {
      setFormError((e as Error).message);
      return null;
    }
    try {
      const out = await testRunApi.saveData(workflowId, d);
      // The cache holds what is pinned, for the next opening (the form is not remounted by it).
      qc.setQueryData(testRunKeys.data(workflowId), out);
      setSaved(true);
      return out;
    } catch (e) {
      setFormError(errorMessage(e));
      return null;
    }
  };

  const start = async () => {
    setPending("run");
    setProblems(null);
    setRunId(null);
    try {
      if (!(await beforeRun())) {
        setFormError("The draft could not be saved: a test run needs the draft on the server.");
        return;
      }
      if (!(await save())) return;
      const exec = await testRunApi.start(workflowId);
      setRunId(exec.id);
      void qc.invalidateQueries({ queryKey: testRunKeys.latest(workflowId) });
    } catch (e) {
      const ps = testRunProblems(e);
      if (ps) {
        setProblems(ps);
        store.getState().setProblems(ps);
      } else setFormError(errorMessage(e));
    } finally {
      setPending(null);
    }
  };

  const close = () => onClose();

  return (
    <Dialog
      open={open}
      onClose={close}
      className="max-w-2xl"
      title="Test the draft"
      description="Runs the unpublished draft once, as an execution marked test: kept out of stats and plan usage."
      footer={
        <>
          <Button onClick={close}>Close</Button>
          <Button
            icon={<Save className="size-3.5" />}
            loading={pending === "save"}
            onClick={() => {
              setPending("save");
              void save().finally(() => setPending(null));
            }}
            data-testid="test-save"
          >
            Pin sample
          </Button>
          <Button variant="primary" icon={<FlaskConical className="size-3.5" />} loading={pending === "run"} onClick={() => void start()} data-testid="test-run-submit">
            {runId ? "Run again" : "Run test"}
          </Button>
        </>
      }
    >
      <div className="space-y-5" data-testid="test-run-panel">
        {formError && <Alert>{formError}</Alert>}
        {saved && !formError && !runId && <Alert tone="success">Sample data pinned to the workflow.</Alert>}
        {problems && (
          <Alert>
            <p className="font-medium">Fix {problems.length} problem{problems.length > 1 ? "s" : ""} in the draft before a test run:</p>
            <ul className="mt-1 list-disc pl-5" data-testid="test-run-problems">
              {problems.map((p, i) => (
                <li key={i}>
                  {p.nodeId && <span className="font-mono text-xs">{p.nodeId}: </span>}
                  {p.message}
                </li>
              ))}
            </ul>
          </Alert>
        )}
        {runId && <TestRunResult execution={run.data} loading={run.isLoading} />}

        <section className="space-y-3">
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Sample data</h3>
          {triggers.length > 1 && (
            <Field label="Trigger">
              {(ids) => (
                <Select {...ids} value={triggerId} onChange={(e) => setTriggerId(e.target.value)}>
                  <option value="">First trigger</option>
                  {triggers.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.label || t.id} ({t.type})
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          )}
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Trigger input (JSON)" hint="trigger.input">
              {(ids) => (
                <Textarea {...ids} rows={6} spellCheck={false} className="font-mono text-xs" value={input} onChange={(e) => setInput(e.target.value)} data-testid="test-input" />
              )}
            </Field>
            {wantsEvent ? (
              <Field label="Sample event (JSON)" hint='trigger.event, e.g. {"name": "order_placed", "properties": {"total": 42}}'>
                {(ids) => (
                  <Textarea {...ids} rows={6} spellCheck={false} className="font-mono text-xs" value={event} onChange={(e) => setEvent(e.target.value)} data-testid="test-event" />
                )}
              </Field>
            ) : (
              <ContactPicker
                mode={contactMode}
                onMode={setContactMode}
                contact={contact}
                onContact={setContact}
                contactId={contactId}
                onContactId={setContactId}
                search={search}
                onSearch={setSearch}
              />
            )}
          </div>
          {wantsEvent && (
            <ContactPicker
              mode={contactMode}
              onMode={setContactMode}
              contact={contact}
              onContact={setContact}
              contactId={contactId}
              onContactId={setContactId}
              search={search}
              onSearch={setSearch}
            />
          )}
        </section>

        <section className="space-y-3 rounded-md border border-slate-200 bg-slate-50/60 p-3">
          <h3 className="flex items-center gap-1.5 text-xs font-semibold tracking-wide text-slate-500 uppercase">
            <ShieldCheck className="size-3.5" aria-hidden /> Safety
          </h3>
          <Toggle checked={skipDelays} onChange={setSkipDelays} label="Skip delays and waits" hint="Delays end at once; wait for event takes its timeout branch at once." testId="test-skip-delays" />
          <Field label="Sends go only to" hint="Emails, phone numbers (E.164) or Messenger PSIDs, separated by commas. Anyone else: the step is skipped, never sent.">
            {(ids) => <Input {...ids} value={recipientText} onChange={(e) => setRecipients(e.target.value)} placeholder="Nobody" data-testid="test-recipients" />}
          </Field>
          <Toggle checked={allowHttp} onChange={setAllowHttp} label="Allow HTTP requests" hint="Off: http.request steps are skipped." testId="test-allow-http" />
          <Toggle checked={allowAi} onChange={setAllowAi} label="Allow AI steps" hint="They use the workspace's AI budget." testId="test-allow-ai" />
        </section>
      </div>
    </Dialog>
  );
}

function Toggle({ checked, onChange, label, hint, testId }: { checked: boolean; onChange: (v: boolean) => void; label: string; hint: string; testId: string }) {
  return (
    <div className="flex items-start gap-3">
      <Switch checked={checked} onChange={onChange} label={label} data-testid={testId} />
      <div className="min-w-0">
        <div className="text-sm font-medium text-slate-800">{label}</div>
        <div className="text-xs text-slate-500">{hint}</div>
      </div>
    </div>
  );
}

interface ContactPickerProps {
  mode: "typed" | "stored";
  onMode: (m: "typed" | "stored") => void;
  contact: string;
  onContact: (v: string) => void;
  contactId: string | null;
  onContactId: (v: string | null) => void;
  search: string;
  onSearch: (v: string) => void;
}

/** The sample contact: one of the workspace's contacts (read, never written) or one typed as JSON. */
function ContactPicker({ mode, onMode, contact, onContact, contactId, onContactId, search, onSearch }: ContactPickerProps) {
  const found = useContacts({ q: search || undefined });
  const chosen = useContact(mode === "stored" ? contactId : null);
  const items = useMemo(() => (found.data?.pages.flatMap((p) => p.items ?? []) ?? []).slice(0, 5), [found.data]);
  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between gap-2">
        <span className="text-xs font-medium text-slate-700">Sample contact</span>
        <div role="radiogroup" aria-label="Sample contact" className="flex rounded-md border border-slate-200 p-0.5 text-xs">
          {(["typed", "stored"] as const).map((m) => (
            <button
              key={m}
              type="button"
              role="radio"
              aria-checked={mode === m}
              onClick={() => onMode(m)}
              className={`rounded px-2 py-0.5 ${mode === m ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`}
              data-testid={`test-contact-${m}`}
            >
              {m === "typed" ? "Typed" : "Existing contact"}
            </button>
          ))}
        </div>
      </div>
      {mode === "typed" ? (
        <>
          <Textarea
            aria-label="Sample contact (JSON)"
            rows={5}
            spellCheck={false}
            className="font-mono text-xs"
            placeholder={'{"email": "ada@example.com", "attributes": {"plan": "pro"}}'}
            value={contact}
            onChange={(e) => onContact(e.target.value)}
            data-testid="test-contact"
          />
          <p className="text-xs text-slate-500">contact.* in templates and conditions.</p>
        </>
      ) : (
        <div className="space-y-1.5">
          {contactId && (
            <div className="flex items-center justify-between rounded-md border border-brand-200 bg-brand-50 px-2 py-1.5 text-sm" data-testid="test-contact-chosen">
              <span className="truncate">{chosen.data ? contactLabel(chosen.data) : contactId}</span>
              <button type="button" className="text-xs text-slate-500 hover:underline" onClick={() => onContactId(null)}>
                Clear
              </button>
            </div>
          )}
          <Input aria-label="Search contacts" placeholder="Search by email, name or ID" value={search} onChange={(e) => onSearch(e.target.value)} data-testid="test-contact-search" />
          <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 text-sm">
            {items.length === 0 && <li className="px-2 py-1.5 text-xs text-slate-500">{found.isLoading ? "Searching…" : "No contacts found"}</li>}
            {items.map((c) => (
              <li key={c.id}>
                <button type="button" className="w-full truncate px-2 py-1.5 text-left hover:bg-slate-50" onClick={() => onContactId(c.id)}>
                  {contactLabel(c)}
                </button>
              </li>
            ))}
          </ul>
          <p className="text-xs text-slate-500">Read as it is now; a test run never writes the contact.</p>
        </div>
      )}
    </div>
  );
}

type RunExecution = ReturnType<typeof useRunningExecution>["data"];

/** The test execution, live: each step with its status, skipped steps with their reason. */
function TestRunResult({ execution, loading }: { execution: RunExecution; loading: boolean }) {
  const nodes = useBuilder((s) => s.nodes);
  const labels = useMemo(() => Object.fromEntries(nodes.map((n) => [n.id, n.data.label || n.id])), [nodes]);
  if (!execution) return <Alert tone="info">{loading ? "Starting the test run…" : "Test run started."}</Alert>;
  const terminal = ["COMPLETED", "FAILED", "CANCELLED"].includes(execution.status);
  return (
    <section className="space-y-2 rounded-md border border-slate-200 p-3" data-testid="test-run-result" data-status={execution.status}>
      <div className="flex flex-wrap items-center gap-2">
        <Badge tone="violet">test</Badge>
        <Badge tone={statusTone[execution.status] ?? "gray"} data-testid="test-run-status">
          {execution.status}
        </Badge>
        {!terminal && <span className="text-xs text-slate-500">running…</span>}
        {execution.error && <span className="text-xs text-red-700">{execution.error}</span>}
        <Link href={routes.execution(execution.id)} className="ml-auto inline-flex items-center gap-1 text-sm font-medium text-brand-600 hover:underline" data-testid="test-run-link">
          Open execution <ArrowRight className="size-4" aria-hidden />
        </Link>
      </div>
      <ol className="space-y-1 text-sm" data-testid="test-run-steps">
        {(execution.steps ?? []).map((s) => {
          const skipped = skippedReason(s.output, s.input);
          return (
            <li key={s.id} className="flex flex-wrap items-baseline gap-2" data-testid="test-run-step" data-node={s.nodeId}>
              <span className="w-5 shrink-0 text-right text-xs text-slate-400">{s.seq}</span>
              <span className="font-medium text-slate-800">{labels[s.nodeId] ?? s.nodeId}</span>
              <span className="text-xs text-slate-500">{s.nodeType}</span>
              {skipped ? (
                <Badge tone="amber" title={skipped}>
                  skipped
                </Badge>
              ) : (
                <Badge tone={s.status === "COMPLETED" ? "green" : s.status === "FAILED" ? "red" : "gray"}>{s.status.toLowerCase()}</Badge>
              )}
              {skipped && <span className="basis-full pl-7 text-xs text-amber-800">{skipped}</span>}
              {s.error && <span className="basis-full pl-7 text-xs text-red-700">{s.error}</span>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
