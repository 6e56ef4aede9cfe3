// Where are my contacts, and starter journeys (#16 items 7 and 8): the
// funnel on the canvas for a period, its numbers opening the executions
// behind them; import and export of workflow files; a new workflow from a
// starter that publishes as it is.
import { readFileSync } from "node:fs";
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
    node("vip", "condition", { expression: "trigger.input.amount > 100" }, 0, 160, "Big order?"),
    node("tag", "set_attribute", { target: "vars", attributes: { tier: "'gold'" } }, -160, 320, "Tag gold"),
    node("done", "end", {}, 0, 480, "Done"),
  ],
  edges: [
    { id: "e1", source: "start", target: "vip" },
    { id: "e2", source: "vip", sourceHandle: "true", target: "tag" },
    { id: "e3", source: "tag", target: "done" },
    { id: "e4", source: "vip", sourceHandle: "false", target: "done" },
  ],
};

async function rows(page) {
  await page.getByTestId("executions-table").waitFor();
  await page.waitForTimeout(300);
  return page.locator('[data-testid^="execution-row-"]').count();
}

/** Registers the canvas tests with run.mjs. */
export default function canvasTests(test) {
  test("canvas: the funnel per step and connection for a period, and a click through to those executions (1440 and 390 px)", async ({ page, base }) => {
    await signup(page, base, `canvas${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "VIP orders", definition: journey });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    for (const amount of [150, 50, 200]) {
      const e = await must(page, "POST", `/api/v1/workflows/${wf.id}/executions`, { input: { amount } });
      for (let i = 0; i < 100; i++) {
        const got = await must(page, "GET", `/api/v1/executions/${e.id}`);
        if (got.status === "COMPLETED") break;
        assert(i < 99, `execution ${e.id} did not complete`);
        await page.waitForTimeout(100);
      }
    }

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-vip").waitFor();
    await page.getByTestId("toggle-overlay").click();
    await page.getByTestId("funnel-panel").waitFor();
    await page.getByTestId("node-funnel-tag-entered").waitFor();
    const text = async (id) => (await page.getByTestId(id).innerText()).trim();
    assert((await text("funnel-entries")).startsWith("3 executions"), `entries: ${await text("funnel-entries")}`);
    assert((await text("node-funnel-vip-entered")) === "3", "3 reached the condition");
    assert((await text("node-funnel-tag-entered")) === "2", "2 took the big-order branch");
    assert((await text("node-funnel-tag")).includes("67%"), `share: ${await text("node-funnel-tag")}`);
    assert((await text("node-funnel-tag-completed")) === "2 completed", await text("node-funnel-tag-completed"));
    assert((await text("edge-funnel-e2")) === "2 · 67%", `edge e2: ${await text("edge-funnel-e2")}`);
    assert((await text("edge-funnel-e4")) === "1 · 33%", `edge e4: ${await text("edge-funnel-e4")}`);
    await shot(page, "canvas-funnel-1440");

    // Another period: the last 24 hours hold the same runs; custom dates show their inputs.
    await page.getByTestId("funnel-period-24h").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="node-funnel-vip-entered"]')?.textContent?.trim() === "3");
    await page.getByTestId("funnel-period-custom").click();
    await page.getByTestId("funnel-from").waitFor();
    await page.getByTestId("funnel-period-7d").click();

    // A step's count opens the executions that reached it, in the period.
    await page.getByTestId("node-funnel-tag-entered").click();
    await page.waitForURL(/\/executions\/?\?.*nodeId=tag/);
    assert((await rows(page)) === 2, "the two executions that reached Tag gold");
    const chip = await page.getByTestId("step-filter").innerText();
    assert(chip.includes("Tag gold"), `the filter names the step by its label: ${chip}`);
    await shot(page, "canvas-executions-by-step-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "canvas-executions-by-step-390");

    // The execution page names the trigger by its step label and shows the context.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.locator('[data-testid^="execution-row-"]').first().click();
    await page.waitForURL(/\/executions\/view/);
    await page.getByTestId("execution-context").waitFor();
    await page.getByText("Started by Order placed").waitFor();
    const ctxText = await page.getByTestId("execution-context").innerText();
    assert(/step outputs/i.test(ctxText) && ctxText.includes("Big order? (vip)"), `step outputs by label: ${ctxText.slice(0, 400)}`);
    assert(ctxText.includes("gold"), "the variable Tag gold set");
    await shot(page, "canvas-execution-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "canvas-execution-390");
    await page.goBack();
    await page.waitForURL(/nodeId=tag/);

    // A connection's count opens the executions that took it.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("toggle-overlay").click();
    await page.getByTestId("edge-funnel-e4").click();
    await page.waitForURL(/handle=false/);
    assert((await rows(page)) === 1, "the one small order");
    await page.getByRole("button", { name: "Remove the step filter" }).click();
    await page.waitForFunction(() => !location.search.includes("nodeId"));
    assert((await rows(page)) === 3, "without the step filter all three show");

    // The builder at 390 px keeps the panel inside the canvas.
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId("node-vip").waitFor();
    const toggle = page.getByTestId("toggle-overlay");
    if (await toggle.isVisible()) {
      await toggle.click();
      await page.getByTestId("funnel-panel").waitFor();
    }
    await shot(page, "canvas-funnel-390");
  });

  test("canvas: export a workflow file, import it and a broken one, start from a starter that publishes (1440 and 390 px)", async ({ page, base }) => {
    await signup(page, base, `starter${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "VIP orders", definition: journey });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${base}/workflows`);
    await page.getByTestId(`workflow-row-${wf.id}`).waitFor();

    // Export downloads the draft as JSON.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(`export-workflow-${wf.id}`).click()]);
    assert(download.suggestedFilename() === "vip-orders.nextflow.json", download.suggestedFilename());
    const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
    assert(exported.name === "VIP orders" && exported.definition.nodes.length === 4, JSON.stringify(exported).slice(0, 200));

    // Import reads it back as a new workflow and opens the builder.
    await page.getByTestId("import-workflow-file").setInputFiles({
      name: "vip-orders.nextflow.json",
      mimeType: "application/json",
      buffer: Buffer.from(JSON.stringify({ ...exported, name: "VIP orders (imported)" })),
    });
    await page.waitForURL(/\/workflows\/edit\/?\?id=/);
    await page.getByTestId("node-tag").waitFor();

    // A file that is no workflow says so; a draft with problems lists them by step.
    await page.goto(`${base}/workflows`);
    await page.getByTestId("import-workflow-file").setInputFiles({ name: "notes.json", mimeType: "application/json", buffer: Buffer.from("{ not json") });
    await page.getByTestId("import-error").waitFor();
    assert((await page.getByTestId("import-error").innerText()).includes("notes.json is not JSON"), "names the file and the reason");
    await page.getByTestId("import-error-close").click();
    const broken = {
      name: "Broken",
      definition: {
        nodes: [node("start", "trigger.manual", {}, 0, 0), node("mail", "email.sendd", {}, 0, 160, "Welcome mail"), node("wait", "delay", {}, 0, 320, "Pause")],
        edges: [
          { id: "e1", source: "start", target: "mail" },
          { id: "e2", source: "mail", target: "wait" },
        ],
      },
    };
    await page.getByTestId("import-workflow-file").setInputFiles({ name: "broken.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(broken)) });
    await page.getByTestId("import-problems").waitFor();
    const problems = await page.getByTestId("import-problems").innerText();
    assert(problems.includes("Welcome mail") && problems.includes("Pause"), `problems by step label: ${problems}`);
    await shot(page, "canvas-import-problems-1440");
    await page.getByTestId("import-open-builder").click();
    await page.waitForURL(/\/workflows\/edit\/?\?id=/);
    await page.goto(`${base}/workflows`);

    // The starter gallery.
    await page.getByTestId("open-starters").click();
    await page.getByTestId("starter-list").waitFor();
    for (const id of ["welcome-series", "abandoned-cart", "weekly-digest", "reply-triage"]) await page.getByTestId(`starter-${id}`).waitFor();
    await shot(page, "canvas-starters-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, "canvas-starters-390");
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByTestId("use-starter-abandoned-cart").click();
    await page.waitForURL(/\/workflows\/edit\/?\?id=/);
    await page.getByTestId("node-ordered").waitFor();
    await page.getByTestId("node-whatsapp_reminder").waitFor();
    await shot(page, "canvas-starter-builder-1440");
    const id = new URL(page.url()).searchParams.get("id");
    const check = await must(page, "POST", `/api/v1/workflows/${id}/validate`);
    assert(check.valid, `the starter's draft is valid: ${JSON.stringify(check.problems)}`);
    const pub = await api(page, "POST", `/api/v1/workflows/${id}/publish`);
    assert(pub.status === 200, `the starter publishes as it is: ${pub.status} ${JSON.stringify(pub.body)}`);
  });
}
