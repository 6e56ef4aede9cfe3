// Safe test runs (#16 item 3): pin sample data to a draft, run the draft
// as a test execution with its 2-day delay skipped and its HTTP call held
// back, see the steps complete, and "run this step" on a node.
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

const node = (id, type, config, x, y, label) => ({ id, type, config, position: { x, y }, ...(label ? { label } : {}) });

const journey = {
  nodes: [
    node("start", "trigger.manual", {}, 0, 0, "Order placed"),
    node("wait", "delay", { duration: "2d" }, 0, 150, "Wait 2 days"),
    node("vip", "condition", { expression: "trigger.input.amount > 100" }, 0, 300, "Big order?"),
    node("tag", "set_attribute", { target: "vars", attributes: { tier: "'gold'", greeting: "'Hi ' + contact.firstName" } }, -150, 450, "Tag gold"),
    node("call", "http.request", { method: "POST", url: "https://crm.example.com/vip/{{ contact.email }}", body: { amount: "{{ trigger.input.amount }}" } }, -150, 600, "Tell the CRM"),
    node("done", "end", {}, 0, 750),
  ],
  edges: [
    { id: "e1", source: "start", target: "wait" },
    { id: "e2", source: "wait", target: "vip" },
    { id: "e3", source: "vip", sourceHandle: "true", target: "tag" },
    { id: "e4", source: "tag", target: "call" },
    { id: "e5", source: "call", target: "done" },
    { id: "e6", source: "vip", sourceHandle: "false", target: "done" },
  ],
};

/** Registers the test-run tests with run.mjs. */
export default function testRunTests(test) {
  test("testrun: pin sample data, run the draft as a test, see its steps, run one step", async ({ page, base }) => {
    await signup(page, base, `testrun${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "VIP orders", definition: journey });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-vip").waitFor();

    // Pin the sample: trigger input and a typed contact; delays skipped; HTTP not allowed.
    await page.getByTestId("test-run").click();
    await page.getByTestId("test-run-panel").waitFor();
    await page.getByTestId("test-input").fill('{\n  "amount": 150\n}');
    await page.getByTestId("test-contact").fill('{"email": "sam@example.com", "firstName": "Sam"}');
    assert((await page.getByTestId("test-skip-delays").getAttribute("aria-checked")) === "true", "delays are not skipped by default");
    assert((await page.getByTestId("test-allow-http").getAttribute("aria-checked")) === "false", "HTTP is allowed by default");
    const recipients = await page.getByTestId("test-recipients").inputValue();
    assert(recipients.includes("@example.com"), `the allow-list does not default to the tester: ${recipients}`);
    await page.getByTestId("test-save").click();
    await page.getByText("Sample data pinned to the workflow.").waitFor();
    const pinned = await must(page, "GET", `/api/v1/workflows/${wf.id}/test-data`);
    assert(pinned.input?.amount === 150 && pinned.contact?.email === "sam@example.com", `pinned data: ${JSON.stringify(pinned)}`);
    await shot(page, "testrun-panel-1440");

    // Run the draft (never published) as a test.
    await page.getByTestId("test-run-submit").click();
    const result = page.getByTestId("test-run-result");
    await result.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="test-run-result"]')?.getAttribute("data-status") === "COMPLETED", null, { timeout: 20_000 });
    const steps = await page.getByTestId("test-run-step").evaluateAll((els) => els.map((e) => `${e.getAttribute("data-node")}: ${e.textContent}`));
    assert(steps.length === 6, `steps: ${steps.join(" | ")}`);
    const call = steps.find((s) => s.startsWith("call:"));
    assert(call && call.includes("skipped") && call.includes("test run: HTTP requests are not allowed"), `the HTTP call was not held back: ${call}`);
    const wait = steps.find((s) => s.startsWith("wait:"));
    assert(wait && wait.includes("Wait 2 days"), `the delay step: ${wait}`);
    await result.scrollIntoViewIfNeeded();
    await shot(page, "testrun-result-1440");

    // The execution is marked test, listed under the filter, and left out of stats.
    const tests = await must(page, "GET", `/api/v1/executions?test=true&workflowId=${wf.id}`);
    assert(tests.items.length === 1 && tests.items[0].test === true, `test executions: ${JSON.stringify(tests.items)}`);
    const real = await must(page, "GET", `/api/v1/executions?test=false&workflowId=${wf.id}`);
    assert(real.items.length === 0, "the test run is listed as a real execution");
    const versions = await must(page, "GET", `/api/v1/workflows/${wf.id}/versions`);
    assert(versions.length === 0, "the test run published a version");

    // Run this step: the condition against the last test run's context, then the HTTP call rendered, never sent.
    await page.getByRole("button", { name: "Close" }).last().click();
    await page.getByTestId("node-vip").click();
    await page.getByTestId("step-preview-run").click();
    await page.getByTestId("step-preview-result").waitFor();
    const vip = await page.getByTestId("step-preview-result").innerText();
    assert(vip.includes("→ true"), `the condition preview: ${vip}`);
    await page.getByTestId("node-call").click();
    await page.getByTestId("step-preview-run").click();
    const input = page.getByTestId("step-preview-input");
    await input.waitFor();
    const rendered = await input.innerText();
    assert(rendered.includes("https://crm.example.com/vip/sam@example.com") && rendered.includes("150"), `the rendered request: ${rendered}`);
    await page.getByTestId("step-preview").scrollIntoViewIfNeeded();
    await shot(page, "testrun-step-preview-1440");

    // The executions list marks it and filters on it.
    await page.goto(`${base}/executions?test=true`);
    await page.getByTestId(`execution-row-${tests.items[0].id}`).waitFor();
    await page.getByTestId("execution-test-badge").first().waitFor();
    assert((await page.getByTestId("filter-test").inputValue()) === "true", "the test filter is not shown as chosen");
    await shot(page, "testrun-executions-1440");
    await page.goto(`${base}/executions?test=false`);
    await page.getByText("No execution matches these filters").waitFor();
    assert((await page.getByTestId(`execution-row-${tests.items[0].id}`).count()) === 0, "the test run is listed among real runs");

    // The execution page shows the test run like any other.
    await page.goto(`${base}/executions/view?id=${tests.items[0].id}`);
    await page.getByText("Tell the CRM").first().waitFor();
    await page.getByTestId("execution-test-badge").waitFor();
    await shot(page, "testrun-execution-1440");

    // 390 px: the panel is usable on a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/executions?test=true`);
    await page.getByTestId("execution-card-test-badge").first().waitFor();
    await shot(page, "testrun-executions-390");
    await page.goto(`${base}/executions/view?id=${tests.items[0].id}`);
    await page.getByTestId("execution-test-badge").waitFor();
    const cut = await page.getByTestId("execution-test-badge").evaluate((el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > window.innerWidth);
    assert(!cut, "the test-run badge is cut off at 390 px");
    await shot(page, "testrun-execution-390");
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("test-run").click();
    await page.getByTestId("test-run-panel").waitFor();
    await shot(page, "testrun-panel-390");
  });

  test("testrun: an invalid draft is refused with its problems, nothing runs", async ({ page, base }) => {
    await signup(page, base, `testrunbad${Date.now()}`);
    const broken = structuredClone(journey);
    broken.nodes[2].config.expression = "trigger.input.amount >";
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "Broken", definition: broken });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-vip").waitFor();
    await page.getByTestId("test-run").click();
    await page.getByTestId("test-run-submit").click();
    const problems = page.getByTestId("test-run-problems");
    await problems.waitFor();
    assert((await problems.innerText()).includes("vip"), "the problem does not name the node");
    const tests = await must(page, "GET", `/api/v1/executions?test=true&workflowId=${wf.id}`);
    assert(tests.items.length === 0, "an invalid draft started a test run");
    await shot(page, "testrun-problems-1440");
  });
}
