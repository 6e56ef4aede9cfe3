#!/usr/bin/env node
// End-to-end tests of the dashboard against the real NextFlow binary.
//
//   NEXTFLOW_BIN   the binary (default ../bin/nextflow)
//   CHROMIUM_PATH  the browser (default /usr/bin/chromium)
//   E2E_SCREENSHOTS where screenshots go (default web/e2e-artifacts/screenshots)
//   NEXTFLOW_WEB_DIR serve the dashboard from this folder (default web/out when it
//                  exists, i.e. the build just made; otherwise the embedded one)
//
// Starts `nextflow serve` on a free port with a fresh data folder, drives
// Chromium through playwright-core, prints one line per test and closes
// with "N passed, N failed"; exits non-zero on any failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, "..");
const bin = path.resolve(webRoot, process.env.NEXTFLOW_BIN || "../bin/nextflow");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const shots = path.resolve(process.env.E2E_SCREENSHOTS || path.join(webRoot, "e2e-artifacts", "screenshots"));
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

// ---------- helpers used by the tests ----------

async function shot(page, name) {
  await page.waitForTimeout(250);
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

async function center(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`no box for ${locator}`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a palette item onto the canvas at (dx, dy) from the canvas' top-left corner. */
async function dropNode(page, type, dx, dy) {
  const canvas = page.getByTestId("canvas");
  await page.getByTestId(`palette-item-${type}`).dragTo(canvas, { targetPosition: { x: dx, y: dy } });
}

/** Connects an output handle to a node's input handle with the mouse, like a user. */
async function connect(page, sourceNode, handle, targetNode) {
  const from = await center(page.getByTestId(`handle-${sourceNode}-${handle}`));
  const to = await center(page.getByTestId(`handle-${targetNode}-in`));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

async function waitSaved(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="save-status"]');
    return el && (el.getAttribute("data-status") === "saved" || el.getAttribute("data-status") === "idle");
  }, null, { timeout: 15_000 });
}

async function signup(page, base, suffix) {
  await page.goto(`${base}/signup`);
  await page.getByTestId("signup-name").fill("Ada Lovelace");
  await page.getByTestId("signup-email").fill(`ada+${suffix}@example.com`);
  await page.getByTestId("signup-password").fill("correct-horse-battery");
  await page.getByTestId("signup-workspace").fill(`Analytical Engines ${suffix}`);
  await page.getByTestId("signup-submit").click();
  await page.waitForURL(/\/workflows\/?$/, { timeout: 20_000 });
}

async function newWorkflow(page, name) {
  await page.getByTestId("new-workflow").first().click();
  await page.getByTestId("create-workflow-name").fill(name);
  await page.getByTestId("create-workflow-submit").click();
  await page.waitForURL(/\/workflows\/edit\/?\?id=/, { timeout: 20_000 });
  await page.getByTestId("palette-item-trigger.manual").waitFor();
}

// ---------- tests ----------

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
  await page.getByTestId("node-stats-condition").waitFor({ timeout: 15_000 });
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

// ---------- runner ----------

async function main() {
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
  const proc = spawn(bin, args, { env: { ...process.env, NEXTFLOW_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
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
    for (const t of tests) {
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
