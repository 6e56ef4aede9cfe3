// Team and safety, and schedules (#16 items 9 and 11): an accepted
// invitation leaves the pending list; removing a member, cancelling an
// execution and deleting a schedule ask first; the audit log names who did
// what to workflows, versions, schedules and keys. Scheduling a workflow
// whose trigger needs input warns before saving; "Run now" updates "last
// run"; next runs are listed in the schedule's own time zone.
import { shot, signup } from "../lib.mjs";

async function api(page, method, url, body) {
  return page.evaluate(
    async ({ method, url, body }) => {
      const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    { method, url, body },
  );
}

async function must(page, method, url, body) {
  const r = await api(page, method, url, body);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const node = (id, type, config, y) => ({ id, type, config, position: { x: 0, y } });

async function login(page, base, email) {
  await page.context().clearCookies();
  await page.goto(`${base}/login`);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill("correct-horse-battery");
  await page.getByTestId("login-submit").click();
  await page.waitForURL(/\/workflows\/?$/, { timeout: 20_000 });
}

/** Registers the team and schedule tests with run.mjs. */
export default function teamTests(test) {
  test("team: an accepted invitation leaves the pending list, removing a member asks first, the audit log names the actors", async ({ page, base }) => {
    const ts = Date.now();
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `teamowner${ts}`);
    const joiner = `ada+teamjoin${ts}@example.com`;
    const waiting = `grace+later${ts}@example.com`;
    const inv = await must(page, "POST", "/api/v1/invitations", { email: joiner, role: "OPERATOR" });
    await must(page, "POST", "/api/v1/invitations", { email: waiting, role: "VIEWER" });
    // Workflow, version, schedule and key events for the audit log.
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Audited journey",
      definition: { nodes: [node("start", "trigger.manual", {}, 0), node("done", "end", {}, 160)], edges: [{ id: "e1", source: "start", target: "done" }] },
    });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    const sch = await must(page, "POST", "/api/v1/schedules", { workflowId: wf.id, cron: "0 9 * * *", timezone: "UTC" });
    await must(page, "DELETE", `/api/v1/schedules/${sch.id}`);
    await must(page, "POST", "/api/v1/api-keys", { name: "audit key", scopes: ["events:write"] });

    await page.goto(`${base}/settings/members`);
    await page.getByText(joiner).waitFor();
    await page.getByText(waiting).waitFor();

    // The invitee accepts.
    const link = new URL(inv.acceptUrl, base);
    await page.context().clearCookies();
    await signup(page, base, `teamjoin${ts}`);
    await page.goto(`${base}${link.pathname}${link.search}${link.hash}`);
    await page.getByTestId("invite-accept").click();
    await page.waitForURL(/\/workflows\/?$/, { timeout: 15_000 });

    // The owner sees the new member, and the invitation no longer pending.
    await login(page, base, `ada+teamowner${ts}@example.com`);
    await page.goto(`${base}/settings/members`);
    const memberRow = page.locator("tr", { hasText: joiner });
    await memberRow.waitFor();
    await page.getByText(waiting).waitFor();
    const pendingRow = (email) => page.locator("tr", { hasText: email }).filter({ has: page.getByRole("button", { name: "Revoke" }) });
    assert((await pendingRow(waiting).count()) === 1, "the invitation not yet accepted is not listed as pending");
    assert((await pendingRow(joiner).count()) === 0, "the accepted invitation is still listed as pending");
    await shot(page, "team-01-members-1440");

    // Removing asks first; cancelling keeps the member.
    await memberRow.getByTestId("remove-member").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/lose access to this workspace/).waitFor();
    await shot(page, "team-02-remove-confirm-1440");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    await memberRow.waitFor();
    await memberRow.getByTestId("remove-member").click();
    await page.getByTestId("confirm-action").click();
    await memberRow.waitFor({ state: "detached" });
    const members = await must(page, "GET", "/api/v1/members");
    assert(!JSON.stringify(members).includes(joiner), "the member is still in the workspace");

    // The audit log: who did what, by name.
    const log = await must(page, "GET", "/api/v1/audit-log?limit=100");
    const byAction = new Map(log.items.map((e) => [e.action, e]));
    for (const a of ["workflow.created", "version.published", "schedule.created", "schedule.deleted", "apikey.created", "invitation.created"]) {
      const e = byAction.get(a);
      assert(e, `no ${a} entry in the audit log: ${[...byAction.keys()].join(", ")}`);
      assert(e.actorName === "Ada Lovelace", `${a} is recorded without the actor's name: ${JSON.stringify(e)}`);
    }
    await page.goto(`${base}/settings/audit-log`);
    await page.getByText("version.published").filter({ visible: true }).first().waitFor();
    await page.getByText("schedule.deleted").filter({ visible: true }).first().waitFor();
    await shot(page, "team-03-audit-log-1440");
  });

  test("team: cancelling an execution asks first", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `cancel${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Slow journey",
      definition: {
        nodes: [node("start", "trigger.manual", {}, 0), node("wait", "delay", { duration: "1h" }, 160), node("done", "end", {}, 320)],
        edges: [
          { id: "e1", source: "start", target: "wait" },
          { id: "e2", source: "wait", target: "done" },
        ],
      },
    });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    const run = await must(page, "POST", `/api/v1/workflows/${wf.id}/executions`, { input: {} });
    await page.goto(`${base}/executions/view?id=${run.id}`);
    await page.getByTestId("cancel-execution").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/leaves the workflow/).waitFor();
    await shot(page, "team-04-cancel-confirm-1440");
    await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    const still = await must(page, "GET", `/api/v1/executions/${run.id}`);
    assert(still.status !== "CANCELLED", "closing the dialog cancelled the execution");
    await page.getByTestId("cancel-execution").click();
    await page.getByTestId("confirm-action").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.getAttribute("data-status") === "CANCELLED", null, { timeout: 20_000 });
  });

  test("schedules: a trigger that needs input warns before saving, Run now updates last run, next runs in the schedule's zone, delete asks first", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `sched${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Invoice reminder",
      definition: {
        nodes: [
          node("start", "trigger.manual", { inputSchema: { type: "object", required: ["invoiceId"], properties: { invoiceId: { type: "string" } } } }, 0),
          node("done", "end", {}, 160),
        ],
        edges: [{ id: "e1", source: "start", target: "done" }],
      },
    });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);

    await page.goto(`${base}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Workflow/).selectOption({ label: "Invoice reminder" });
    await page.getByTestId("schedule-input-warning").waitFor();
    assert((await page.getByTestId("schedule-input-warning").innerText()).includes("invoiceId"), "the warning does not name the missing input");
    await dialog.getByLabel(/^Cron/).fill("30 8 * * *");
    await dialog.getByLabel(/^Time zone/).fill("Asia/Tokyo");
    // The first submit only shows the warning: nothing is saved yet.
    await dialog.getByRole("button", { name: "Create schedule" }).click();
    await dialog.getByRole("button", { name: "Create anyway" }).waitFor();
    await shot(page, "schedules-01-input-warning-1440");
    assert(((await must(page, "GET", "/api/v1/schedules")) ?? []).length === 0, "a schedule was saved before the warning was read");
    await dialog.getByRole("button", { name: "Create anyway" }).click();
    await dialog.waitFor({ state: "detached" });

    // Next runs in Tokyo time: 08:30 there.
    const row = page.getByTestId("schedule-row");
    await row.getByTestId("schedule-next-runs").waitFor();
    const next = await row.getByTestId("schedule-next-runs").innerText();
    assert(/8:30|08:30/.test(next), `next runs are not shown in the schedule's zone: ${next}`);
    assert((await row.getByTestId("schedule-last-run").innerText()).trim() === "Never", "a new schedule has a last run");

    // Run now: "last run" changes without a reload.
    await row.getByTestId("schedule-run-now").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="schedule-last-run"]')?.textContent?.trim() !== "Never", null, { timeout: 15_000 });
    await shot(page, "schedules-02-after-run-now-1440");
    const runs = await must(page, "GET", `/api/v1/executions?workflowId=${wf.id}`);
    assert(runs.items.length === 1, `Run now started ${runs.items.length} executions`);

    // Delete asks first.
    await row.getByTestId("schedule-delete").click();
    const confirm = page.getByRole("dialog");
    await confirm.getByText(/will no longer start/).waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    assert(((await must(page, "GET", "/api/v1/schedules")) ?? []).length === 1, "cancelling the dialog deleted the schedule");
    await row.getByTestId("schedule-delete").click();
    await page.getByTestId("confirm-action").click();
    await page.getByText("No schedules yet").waitFor();
    assert(((await must(page, "GET", "/api/v1/schedules")) ?? []).length === 0, "the schedule was not deleted");
  });
}
