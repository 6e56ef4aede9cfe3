#!/usr/bin/env node
// End-to-end tests of the dashboard against the real NextFlow binary.
//
//   NEXTFLOW_BIN   the binary (default ../bin/nextflow)
//   CHROMIUM_PATH  the browser (default /usr/bin/chromium)
//   E2E_SCREENSHOTS where screenshots go (default web/e2e-artifacts/screenshots)
//   E2E_ONLY       run only the tests whose name contains this text
//   NEXTFLOW_WEB_DIR serve the dashboard from this folder (default web/out when it
//                  exists, i.e. the build just made; otherwise the embedded one)
//
// Starts `nextflow serve` on a free port with a fresh data folder, drives
// Chromium through playwright-core, prints one line per test and closes
// with "N passed, N failed"; exits non-zero on any failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { connect, dropNode, newWorkflow, shot, shots, signup, waitSaved } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, "..");
const bin = path.resolve(webRoot, process.env.NEXTFLOW_BIN || "../bin/nextflow");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const webDir = process.env.NEXTFLOW_WEB_DIR ?? (existsSync(path.join(webRoot, "out", "index.html")) ? path.join(webRoot, "out") : "");

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(base, proc, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`nextflow exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nextflow not ready after ${ms} ms`);
}

// ---------- tests ----------
// The tests in this file, then every tests/*.mjs file in name order: each
// default-exports a function that registers its tests with test(name, fn).

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test("signup, build a journey by drag and drop, publish, activate, run: the execution completes", async ({ page, base }) => {
  await page.goto(`${base}/workflows`);
  await page.waitForURL(/\/login/, { timeout: 15_000 });
  await shot(page, "01-login");
  await page.goto(`${base}/signup`);
  await shot(page, "02-signup");
  await signup(page, base, "journey");
  await page.getByText("Build your first journey").waitFor();
  await shot(page, "03-workflows-empty");

  await newWorkflow(page, "VIP welcome");
  await dropNode(page, "trigger.manual", 270, 60);
  await dropNode(page, "condition", 270, 210);
  await dropNode(page, "end", 135, 380);
  await dropNode(page, "end", 400, 380);
  for (const id of ["trigger_manual", "condition", "end", "end_2"]) await page.getByTestId(`node-${id}`).waitFor();
  // The condition node shows one source handle per output: true and false.
  await page.getByTestId("handle-condition-true").waitFor();
  await page.getByTestId("handle-condition-false").waitFor();

  await connect(page, "trigger_manual", "out", "condition");
  await connect(page, "condition", "true", "end");
  await connect(page, "condition", "false", "end_2");
  const edges = await page.locator(".react-flow__edge").count();
  if (edges !== 3) throw new Error(`expected 3 edges, found ${edges}`);

  await page.getByTestId("node-condition").click();
  await page.getByTestId("field-expression").fill("trigger.input.amount > 100");
  await page.getByTestId("node-panel").waitFor();
  await waitSaved(page);
  await page.keyboard.press("Escape");
  await page.getByTestId("node-trigger_manual").click();
  await page.getByTestId("node-panel").waitFor();
  await page.locator('[aria-label="Close panel"]').click();
  await page.getByTestId("problems-none").waitFor({ timeout: 15_000 });
  await shot(page, "04-builder");

  await page.getByTestId("publish").click();
  await page.getByText("Published version 1.").waitFor({ timeout: 15_000 });
  await page.getByTestId("activate-toggle").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="activate-toggle"]')?.getAttribute("aria-checked") === "true", null, {
    timeout: 15_000,
  });

  await page.getByTestId("run-now").click();
  await page.getByTestId("run-input").fill('{"amount": 250, "email": "vip@example.com"}');
  await shot(page, "05-run-dialog");
  await page.getByTestId("run-submit").click();
  await page.getByTestId("run-execution-link").click();
  await page.waitForURL(/\/executions\/view\/?\?id=/, { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.getAttribute("data-status") === "COMPLETED", null, {
    timeout: 45_000,
  });
  for (const id of ["trigger_manual", "condition", "end"]) await page.getByTestId(`step-${id}`).waitFor({ timeout: 10_000 });
  if ((await page.getByTestId("step-end_2").count()) !== 0) throw new Error("the false branch ran for amount 250");
  await page.getByTestId("step-condition").locator("button").first().click();
  await shot(page, "06-execution-detail");

  // The other pages, for the record.
  const pages = [
    ["/executions", "07-executions"],
    ["/workflows", "08-workflows"],
    ["/contacts", "09-contacts"],
    ["/schedules", "10-schedules"],
    ["/channels", "11-channels"],
    ["/settings/members", "12-members"],
    ["/settings/api-keys", "13-api-keys"],
    ["/settings/workspace", "14-workspace"],
    ["/settings/audit-log", "15-audit-log"],
  ];
  for (const [p, name] of pages) {
    await page.goto(`${base}${p}`);
    await page.locator("h1").first().waitFor();
    await page.waitForLoadState("networkidle").catch(() => {});
    await shot(page, name);
  }
  // The stats overlay on the canvas shows the run.
  await page.goto(`${base}/workflows`);
  await page.getByText("VIP welcome").click();
  await page.getByTestId("toggle-overlay").click();
  await page.getByTestId("node-funnel-condition-entered").waitFor({ timeout: 15_000 });
  await shot(page, "16-builder-overlay");
});

test("a validation problem shows on the offending node and in the problems list", async ({ page, base }) => {
  await signup(page, base, "validation");
  await newWorkflow(page, "Broken branch");
  await dropNode(page, "trigger.manual", 270, 60);
  await dropNode(page, "condition", 270, 220);
  await page.getByTestId("node-condition").waitFor();
  await connect(page, "trigger_manual", "out", "condition");
  // The condition has no expression and its branches lead nowhere: the server says so.
  await page.waitForFunction(() => document.querySelector('[data-testid="node-condition"]')?.getAttribute("data-invalid") === "true", null, {
    timeout: 15_000,
  });
  await page.getByTestId("node-problems-condition").waitFor();
  await page.keyboard.press("Escape");
  await page.getByTestId("problems-list").waitFor();
  const listed = await page.locator('[data-testid="problem-item"][data-node-id="condition"]').count();
  if (listed === 0) throw new Error("the problems list does not name the condition node");
  await shot(page, "17-builder-validation");
  // Selecting the node shows the problem next to its form.
  await page.getByTestId("node-condition").click();
  await page.getByTestId("node-panel-problems").waitFor();
  await shot(page, "18-builder-node-panel");
  // Keyboard: Delete removes the selected node, Ctrl+Z brings it back, Ctrl+Shift+Z removes it again.
  await page.getByTestId("node-condition").click();
  await page.keyboard.press("Delete");
  await page.getByTestId("node-condition").waitFor({ state: "detached" });
  await page.keyboard.press("Control+z");
  await page.getByTestId("node-condition").waitFor();
  await page.keyboard.press("Control+Shift+z");
  await page.getByTestId("node-condition").waitFor({ state: "detached" });
});

test("a 200-node workflow opens, drags and saves", async ({ page, base }) => {
  await signup(page, base, "large");
  const id = await page.evaluate(async () => {
    const nodes = [{ id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } }];
    const edges = [];
    for (let i = 1; i < 200; i++) {
      nodes.push({ id: `n${i}`, type: "set_attribute", config: { target: "vars", attributes: { [`k${i}`]: `${i}` } }, position: { x: (i % 10) * 280, y: Math.floor(i / 10) * 140 + 140 } });
      edges.push({ id: `e${i}`, source: i === 1 ? "start" : `n${i - 1}`, target: `n${i}` });
    }
    const r = await fetch("/api/v1/workflows", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Two hundred steps", definition: { nodes, edges } }),
    });
    if (!r.ok) throw new Error(`create: ${r.status} ${await r.text()}`);
    return (await r.json()).id;
  });
  const t0 = Date.now();
  await page.goto(`${base}/workflows/edit?id=${id}`);
  await page.getByTestId("node-start").waitFor();
  const opened = Date.now() - t0;
  const box = await page.getByTestId("node-start").boundingBox();
  const t1 = Date.now();
  await page.mouse.move(box.x + 40, box.y + 15);
  await page.mouse.down();
  for (let i = 1; i <= 30; i++) await page.mouse.move(box.x + 40 + i * 4, box.y + 15 + i * 2);
  await page.mouse.up();
  const dragged = Date.now() - t1;
  await waitSaved(page);
  console.log(`# 200 nodes: opened in ${opened} ms, 30-step drag in ${dragged} ms`);
  await shot(page, "19-builder-200-nodes");
});

test("a concurrent edit shows a conflict and is never overwritten", async ({ page, base }) => {
  await signup(page, base, "conflict");
  const id = await page.evaluate(async () => {
    const r = await fetch("/api/v1/workflows", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Shared draft", definition: { nodes: [{ id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } }], edges: [] } }),
    });
    return (await r.json()).id;
  });
  await page.goto(`${base}/workflows/edit?id=${id}`);
  await page.getByTestId("node-start").waitFor();
  // Someone else saves first.
  await page.evaluate(async (wid) => {
    const cur = await (await fetch(`/api/v1/workflows/${wid}`)).json();
    const r = await fetch(`/api/v1/workflows/${wid}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Changed elsewhere", definition: cur.definition, revision: cur.revision }),
    });
    if (!r.ok) throw new Error(`concurrent save: ${r.status}`);
  }, id);
  await dropNode(page, "end", 270, 250);
  await page.getByTestId("conflict-banner").waitFor({ timeout: 15_000 });
  await shot(page, "20-builder-conflict");
  await page.getByTestId("conflict-reload").click();
  await page.getByTestId("conflict-banner").waitFor({ state: "detached" });
  if ((await page.getByTestId("node-end").count()) !== 0) throw new Error("reload kept the conflicting local node");
  const name = await page.getByTestId("workflow-name").inputValue();
  if (name !== "Changed elsewhere") throw new Error(`expected the other edit's name, got ${name}`);
});

test("an invited user accepts, then switches between workspaces", async ({ page, base }) => {
  await signup(page, base, "owner");
  const acceptUrl = await page.evaluate(async () => {
    const r = await fetch("/api/v1/invitations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada+invitee@example.com", role: "OPERATOR" }),
    });
    if (!r.ok) throw new Error(`invite: ${r.status} ${await r.text()}`);
    return (await r.json()).acceptUrl;
  });
  const link = new URL(acceptUrl, base);
  await page.context().clearCookies();
  await signup(page, base, "invitee");
  await page.goto(`${base}${link.pathname}${link.search}${link.hash}`);
  await page.getByTestId("invite-signed-in").waitFor();
  await shot(page, "21-accept-invitation");
  await page.getByTestId("invite-accept").click();
  await page.waitForURL(/\/workflows\/?$/, { timeout: 15_000 });
  await page.getByTestId("workspace-switcher").click();
  const options = page.getByRole("listbox", { name: "Workspaces" }).getByRole("option");
  await options.nth(1).waitFor();
  if ((await options.count()) !== 2) throw new Error(`expected 2 workspaces, found ${await options.count()}`);
  await shot(page, "22-workspace-switcher");
  const target = page.locator('[role="listbox"] [role="option"][aria-selected="false"]').first();
  const name = (await target.locator("span.block").first().innerText()).trim();
  await target.click();
  await page.getByText(`Switched to ${name}`).waitFor();
  const shown = await page.getByTestId("workspace-switcher").innerText();
  if (!shown.includes(name.slice(0, 12))) throw new Error(`header shows ${shown}, expected ${name}`);
});

test("events sent through the API show on Contacts, a contact view and Events (1440 and 390 px)", async ({ page, base }) => {
  await signup(page, base, "contacts");
  // An API key created through the API, then one batch of events sent with it (as a server would).
  const key = await page.evaluate(async () => {
    const r = await fetch("/api/v1/api-keys", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "e2e backend", scopes: ["events:write"] }),
    });
    if (!r.ok) throw new Error(`api key: ${r.status} ${await r.text()}`);
    return (await r.json()).key;
  });
  // An active journey started by user.signed_up, so the timeline shows journeys and steps.
  const wid = await page.evaluate(async () => {
    const post = async (url, body) => {
      const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
      return r.json();
    };
    const nodes = [
      { id: "start", type: "trigger.event", config: { event: "user.signed_up" }, position: { x: 0, y: 0 } },
      { id: "done", type: "end", config: {}, position: { x: 0, y: 160 } },
    ];
    const wf = await post("/api/v1/workflows", { name: "Welcome journey", definition: { nodes, edges: [{ id: "e1", source: "start", target: "done" }] } });
    await post(`/api/v1/workflows/${wf.id}/publish`);
    await post(`/api/v1/workflows/${wf.id}/activate`);
    return wf.id;
  });
  const send = async (body) => {
    const r = await fetch(`${base}/api/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`events: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const ago = (min) => new Date(Date.now() - min * 60_000).toISOString();
  const ada = { externalId: "user-ada", email: "ada@example.com", name: "Ada Lovelace", timezone: "Europe/London", attributes: { plan: "pro", seats: 12 } };
  const grace = { externalId: "user-grace", email: "grace@example.com", name: "Grace Hopper", attributes: { plan: "free" }, subscriptions: { email: { state: "subscribed" } } };
  const alan = { externalId: "user-alan", email: "alan@example.com", attributes: { plan: "pro", company: { name: "Bletchley" } } };
  const res = await send({
    batch: [
      { name: "user.signed_up", contact: ada, timestamp: ago(50), properties: { source: "landing", campaign: "spring" } },
      { name: "user.signed_up", contact: grace, timestamp: ago(40), properties: { source: "invite" } },
      { name: "user.signed_up", contact: alan, timestamp: ago(35), properties: { source: "ads" } },
      { name: "order.completed", contact: { externalId: "user-ada" }, timestamp: ago(20), properties: { orderId: "A-1001", total: 129.5, currency: "EUR", items: [{ sku: "engine" }] } },
      { name: "page.viewed", contact: { externalId: "user-ada" }, timestamp: ago(10), properties: { path: "/pricing" } },
      { name: "order.completed", contact: { externalId: "user-grace" }, timestamp: ago(5), properties: { orderId: "G-7", total: 19, currency: "USD" } },
    ],
  });
  if (res.accepted !== 6) throw new Error(`expected 6 accepted events, got ${JSON.stringify(res)}`);

  const sizes = [
    [1440, 900, "1440"],
    [390, 844, "390"],
  ];
  const noSidewaysScroll = async (what) => {
    // The shell is desktop-only (min 1024 px); the page's own content must not scroll sideways.
    const over = await page.evaluate(() => {
      const main = document.querySelector("main > div");
      return main ? main.scrollWidth - main.clientWidth : 0;
    });
    if (over > 1) throw new Error(`${what}: content is ${over} px wider than its column`);
  };
  // The shell (sidebar + header) is desktop-only for now: at 390 px the test
  // lifts its 1024 px minimum and hides the sidebar, so the screenshot shows
  // the page's own content in a 390 px column, as the phone layout will.
  const phone = async () => {
    await page.addStyleTag({ content: "body .min-w-\\[1024px\\]{min-width:0!important} nav[aria-label='Main']{display:none!important}" });
    await page.waitForTimeout(100);
  };
  const narrow = (tag) => (tag === "390" ? phone() : Promise.resolve());
  for (const [width, height, tag] of sizes) {
    await page.setViewportSize({ width, height });
    await page.goto(`${base}/contacts`);
    await narrow(tag);
    await page.locator(tag === "1440" ? '[data-testid="contact-row"]' : '[data-testid="contacts-cards"] li').nth(2).waitFor();
    await noSidewaysScroll(`contacts at ${tag}`);
    await shot(page, `30-contacts-${tag}`);
    await page.goto(`${base}/events`);
    await narrow(tag);
    await page.locator(tag === "1440" ? '[data-testid="event-row"]' : '[data-testid="events-cards"] li').nth(5).waitFor();
    await page.getByText("Ada Lovelace").filter({ visible: true }).first().waitFor();
    await noSidewaysScroll(`events at ${tag}`);
    await shot(page, `32-events-${tag}`);
  }

  // Search and filters narrow the list.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${base}/contacts`);
  await page.getByTestId("contact-row").nth(2).waitFor();
  await page.getByTestId("contact-search").fill("grace");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contact-row"]').length === 1, null, { timeout: 10_000 });
  await page.getByTestId("contact-search").fill("");
  await page.getByTestId("contact-filters-toggle").click();
  await page.getByTestId("attr-add").click();
  await page.getByTestId("attr-key-0").fill("plan");
  await page.getByTestId("attr-value-0").fill("pro");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="contact-row"]').length === 2, null, { timeout: 10_000 });
  await shot(page, "33-contacts-filtered-1440");

  // The contact view: identity, attributes, subscriptions, timeline with its events.
  await page.getByRole("link", { name: "Ada Lovelace" }).click();
  await page.waitForURL(/\/contacts\/view\/?\?id=/);
  await page.getByTestId("contact-title").getByText("Ada Lovelace").waitFor();
  await page.locator('[data-testid="timeline-item"][data-kind="event"]').nth(2).waitFor();
  await page.locator('[data-testid="timeline-item"][data-kind="journey.entered"]').first().waitFor();
  await page.getByTestId("contact-journey").first().waitFor();
  await page.getByTestId("contact-attributes").getByText("seats").waitFor();
  const viewUrl = page.url();
  await shot(page, "31-contact-view-1440");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(viewUrl);
  await phone();
  await page.locator('[data-testid="timeline-item"]').first().waitFor();
  await noSidewaysScroll("contact view at 390");
  await shot(page, "31-contact-view-390");
  await page.getByTestId("contact-timeline").scrollIntoViewIfNeeded();
  await shot(page, "31-contact-view-390-timeline");
  await page.setViewportSize({ width: 1440, height: 900 });

  // Events are live: one sent now shows without a reload.
  await page.goto(`${base}/events`);
  await page.getByTestId("event-row").nth(5).waitFor();
  await send({ name: "trial.started", contact: { externalId: "user-alan" }, properties: { days: 14 } });
  await page.getByTestId("events-table").getByText("trial.started").waitFor({ timeout: 15_000 });

  // CSV import: progress to the end, the refused row named by its number.
  await page.goto(`${base}/contacts`);
  await page.getByTestId("import-contacts").click();
  const csv = "email,name,plan\nlin@example.com,Lin Lee,pro\nnot-an-email,Broken Row,free\nmo@example.com,Mo Chen,free\n";
  await page.getByTestId("import-file").setInputFiles({ name: "customers.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByTestId("import-submit").click();
  await page.waitForFunction(() => ["completed", "failed"].includes(document.querySelector('[data-testid="import-progress"]')?.getAttribute("data-status") ?? ""), null, {
    timeout: 30_000,
  });
  const status = await page.getByTestId("import-progress").getAttribute("data-status");
  if (status !== "completed") throw new Error(`import ended ${status}`);
  await page.getByTestId("import-errors").getByText("row 3").waitFor();
  await shot(page, "34-contacts-import");
  await page.getByTestId("import-close").click();
  await page.getByRole("link", { name: "Lin Lee" }).waitFor({ timeout: 10_000 });

  // Erasure asks for the external ID, then the contact is gone.
  await page.goto(viewUrl);
  await page.getByTestId("erase-contact").click();
  await page.getByTestId("erase-input").fill("user-ad");
  if (await page.getByTestId("erase-confirm").isEnabled()) throw new Error("erase enabled before the external ID was typed in full");
  await page.getByTestId("erase-input").fill("user-ada");
  await shot(page, "35-contact-erase");
  await page.getByTestId("erase-confirm").click();
  await page.waitForURL(/\/contacts\/?$/);
  await page.getByTestId("contact-row").first().waitFor();
  if ((await page.getByRole("link", { name: "Ada Lovelace" }).count()) !== 0) throw new Error("the erased contact is still listed");

  // The builder offers the event names seen in the workspace for trigger.event.
  await page.goto(`${base}/workflows/edit?id=${wid}`);
  await page.getByTestId("node-start").click();
  await page.getByTestId("field-event").waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="field-event-options"] option')].some((o) => o.value === "order.completed"), null, {
    timeout: 10_000,
  });
});

// ---------- runner ----------

async function loadTestFiles() {
  const dir = path.join(here, "tests");
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".mjs")).sort()) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    mod.default(test);
  }
}

async function main() {
  await loadTestFiles();
  if (!existsSync(bin)) {
    console.error(`nextflow binary not found at ${bin} (set NEXTFLOW_BIN or run: go build -o bin/nextflow ./cmd/nextflow)`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  mkdirSync(shots, { recursive: true });
  const dataDir = mkdtempSync(path.join(tmpdir(), "nextflow-e2e-data-"));
  const profile = mkdtempSync(path.join(tmpdir(), "nextflow-e2e-chromium-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir];
  if (webDir) args.push("--web-dir", webDir);
  const logs = [];
  // The tests' fake providers (AI) listen on loopback, which the SSRF guard
  // refuses unless it is allowed.
  const env = { NEXTFLOW_HTTP_ALLOW: "127.0.0.1", NEXTFLOW_HTTP_PORTS: "any", ...process.env, NEXTFLOW_LOG_LEVEL: "warn" };
  const proc = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  proc.stdout.on("data", (d) => logs.push(String(d)));
  proc.stderr.on("data", (d) => logs.push(String(d)));
  let passed = 0;
  let failed = 0;
  let context;
  try {
    await waitReady(base, proc);
    console.log(`# nextflow at ${base}${webDir ? ` (dashboard from ${webDir})` : ""}`);
    console.log(`# screenshots in ${shots}`);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const only = process.env.E2E_ONLY;
    for (const t of tests.filter((x) => !only || x.name.includes(only))) {
      const page = await context.newPage();
      const consoleErrors = [];
      page.on("pageerror", (e) => consoleErrors.push(String(e)));
      page.setDefaultTimeout(15_000);
      const started = Date.now();
      try {
        await t.fn({ page, base });
        passed++;
        console.log(`ok - ${t.name} (${Date.now() - started} ms)`);
      } catch (err) {
        failed++;
        console.log(`not ok - ${t.name}\n  ${String(err?.stack || err).split("\n").slice(0, 6).join("\n  ")}`);
        if (consoleErrors.length) console.log(`  page errors: ${consoleErrors.slice(0, 3).join(" | ")}`);
        await shot(page, `failure-${tests.indexOf(t) + 1}`).catch(() => {});
      }
      // Each test starts signed out.
      await context.clearCookies();
      await page.close();
    }
  } catch (err) {
    failed++;
    console.log(`not ok - setup\n  ${err?.stack || err}`);
    console.log(logs.join("").split("\n").slice(-20).join("\n"));
  } finally {
    await context?.close().catch(() => {});
    proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

await main();
