// Plans: the workspace settings page shows usage against the plan, the
// OWNER changes the plan, and a FREE workspace past a limit gets the 402
// problem naming it, with nothing written.
import { shot, signup } from "../lib.mjs";

/** Calls the API from the page with the session cookie. */
async function api(page, method, url, body) {
  return page.evaluate(
    async ({ method, url, body }) => {
      const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      return { status: r.status, type: r.headers.get("content-type"), body: text ? JSON.parse(text) : null };
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

const runnable = {
  nodes: [
    { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
    { id: "done", type: "end", config: {}, position: { x: 0, y: 160 } },
  ],
  edges: [{ id: "e1", source: "start", target: "done" }],
};

/** Registers the plan tests with run.mjs. */
export default function planTests(test) {
  test("plans: the settings page shows usage against the plan and the owner upgrades", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `plans${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "Welcome", definition: runnable });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    await must(page, "POST", `/api/v1/workflows/${wf.id}/activate`);
    for (let i = 0; i < 3; i++) await must(page, "POST", `/api/v1/workflows/${wf.id}/executions`, { input: {} });
    await must(page, "POST", "/api/v1/workflows", { name: "Draft", definition: runnable });
    await must(page, "POST", "/api/v1/contacts", { externalId: "ada", email: "ada@example.com", name: "Ada" });

    await page.goto(`${base}/settings/workspace`);
    const executions = page.getByTestId("usage-executionsPerMonth");
    await executions.waitFor();
    assert((await executions.innerText()).includes("3 / 10,000"), `executions bar: ${await executions.innerText()}`);
    assert((await page.getByTestId("usage-workflows").innerText()).includes("2 / 10"), "workflows bar");
    assert((await page.getByTestId("usage-activeWorkflows").innerText()).includes("1 / 3"), "active workflows bar");
    assert((await page.getByTestId("plan-badge").innerText()) === "FREE", "FREE badge");
    await shot(page, "plans-01-settings-1440");

    await page.getByTestId("plan-change").click();
    await page.getByTestId("plan-option-PRO").click();
    await shot(page, "plans-02-change-dialog-1440");
    await page.getByTestId("plan-confirm").click();
    await page.getByTestId("plan-badge").filter({ hasText: "PRO" }).waitFor();
    await page.getByTestId("usage-executionsPerMonth").filter({ hasText: "3 / 1,000,000" }).waitFor();
    await shot(page, "plans-03-pro-1440");

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId("usage-executionsPerMonth").waitFor();
    await shot(page, "plans-04-settings-390");
    await page.getByTestId("usage-messagesPerMonth").scrollIntoViewIfNeeded();
    await shot(page, "plans-05-settings-390-bars");
  });

  test("plans: a FREE workspace creating one workflow past its limit gets 402 and nothing is written", async ({ page, base }) => {
    await signup(page, base, `limit${Date.now()}`);
    const usage = await must(page, "GET", "/api/v1/usage");
    const limit = usage.items.find((i) => i.limit === "workflows").value;
    for (let i = 0; i < limit; i++) await must(page, "POST", "/api/v1/workflows", { name: `w${i}`, definition: runnable });
    const r = await api(page, "POST", "/api/v1/workflows", { name: "one too many", definition: runnable });
    assert(r.status === 402, `status ${r.status}`);
    assert(r.type === "application/problem+json", `content type ${r.type}`);
    assert(r.body.limit === "workflows" && r.body.value === limit && r.body.usage === limit, JSON.stringify(r.body));
    const list = await must(page, "GET", "/api/v1/workflows?limit=100");
    assert(list.items.length === limit, `${list.items.length} workflows`);
  });
}
