// Outages (#16 item 10): the server goes away and comes back. The live
// indicator says "Reconnecting…" within seconds (the server closes its
// streams when shutdown starts), lists keep what they showed under a
// banner, and the builder keeps the edits made meanwhile and saves them by
// itself once the server answers again.
//
// This file stops and restarts a NextFlow of its own (same port, same data
// folder, so the session and the workflow survive); the shared server of
// run.mjs is never stopped.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dropNode, shot, signup, waitSaved } from "../lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, "..", "..");
const bin = path.resolve(webRoot, process.env.NEXTFLOW_BIN || "../bin/nextflow");
const webDir = process.env.NEXTFLOW_WEB_DIR ?? (existsSync(path.join(webRoot, "out", "index.html")) ? path.join(webRoot, "out") : "");

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

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

/** A NextFlow that can be stopped and started again on the same port and data folder. */
async function restartableNextflow() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "nextflow-outage-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logs = [];
  let proc = null;
  const start = async () => {
    const args = ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir];
    if (webDir) args.push("--web-dir", webDir);
    proc = spawn(bin, args, { env: { ...process.env, NEXTFLOW_LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout.on("data", (d) => logs.push(String(d)));
    proc.stderr.on("data", (d) => logs.push(String(d)));
    const until = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`nextflow exited with ${proc.exitCode}: ${logs.join("").slice(-1500)}`);
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (Date.now() > until) throw new Error("nextflow not ready after 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stop = async () => {
    if (proc && proc.exitCode === null) {
      const p = proc;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      await exited;
    }
  };
  const close = async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, logs, start, stop, close };
}

async function must(page, method, url, body) {
  const r = await page.evaluate(
    async ({ method, url, body }) => {
      const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    { method, url, body },
  );
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const liveIs = (page, status, timeout) =>
  page.waitForFunction((s) => document.querySelector('[data-testid="live-status"]')?.getAttribute("data-status") === s, status, { timeout });

/** Registers the outage tests with run.mjs. */
export default function outageTests(test) {
  test("outage: Reconnecting… within seconds, lists keep their rows under a banner, the builder keeps unsaved edits and saves them when the server is back", async ({ page }) => {
    const nf = await restartableNextflow();
    try {
      await nf.start();
      const base = nf.base;
      await page.setViewportSize({ width: 1440, height: 900 });
      await signup(page, base, `outage${Date.now()}`);
      const def = {
        nodes: [
          { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
          { id: "done", type: "end", config: {}, position: { x: 0, y: 160 } },
        ],
        edges: [{ id: "e1", source: "start", target: "done" }],
      };
      const wf = await must(page, "POST", "/api/v1/workflows", { name: "Outage drill", definition: def });
      await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
      const run = await must(page, "POST", `/api/v1/workflows/${wf.id}/executions`, { input: {} });

      // 1. A list: the server goes away, the rows stay, a banner and the indicator say so.
      await page.goto(`${base}/executions`);
      await page.getByTestId(`execution-row-${run.id}`).waitFor();
      await liveIs(page, "live", 15_000);
      let t0 = Date.now();
      await nf.stop();
      // The silence watchdog alone would take 12 s; the closed stream must be noticed well before that.
      await liveIs(page, "reconnecting", 8_000);
      const listNoticed = Date.now() - t0;
      await page.getByTestId("offline-banner").waitFor();
      assert((await page.getByTestId("live-status").innerText()).includes("Reconnecting"), "the indicator does not say Reconnecting…");
      // Past the list's own refetch (every 15 s) the rows are still there, with no error in their place.
      await page.waitForTimeout(16_000);
      await page.getByTestId(`execution-row-${run.id}`).waitFor({ timeout: 1_000 });
      assert((await page.getByRole("button", { name: "Try again" }).count()) === 0, "the list was replaced by an error");
      await shot(page, "outage-01-executions-banner-1440");
      await nf.start();
      await liveIs(page, "live", 20_000);
      await page.getByTestId("offline-banner").waitFor({ state: "detached" });
      console.log(`# outage: "Reconnecting…" ${listNoticed} ms after the server stopped`);

      // 2. The builder: edits made while the server is away are kept, then saved by themselves.
      await page.goto(`${base}/workflows/edit?id=${wf.id}`);
      await page.getByTestId("node-done").waitFor();
      await liveIs(page, "live", 15_000);
      t0 = Date.now();
      await nf.stop();
      await liveIs(page, "reconnecting", 8_000);
      const builderNoticed = Date.now() - t0;
      await page.getByTestId("workflow-name").fill("Outage drill (edited offline)");
      await dropNode(page, "delay", 760, 300);
      await page.getByTestId("node-delay").waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="save-status"]')?.getAttribute("data-status") === "offline", null, { timeout: 15_000 });
      await shot(page, "outage-02-builder-offline-1440");
      // Still kept after a few failed tries.
      await page.waitForTimeout(4_000);
      await page.getByTestId("node-delay").waitFor({ timeout: 1_000 });
      assert((await page.getByTestId("workflow-name").inputValue()) === "Outage drill (edited offline)", "the name typed offline was lost");
      await nf.start();
      await waitSaved(page);
      await liveIs(page, "live", 20_000);
      const saved = await must(page, "GET", `/api/v1/workflows/${wf.id}`);
      assert(saved.name === "Outage drill (edited offline)", `the name saved after the outage: ${saved.name}`);
      assert(
        saved.definition.nodes.some((n) => n.type === "delay"),
        `the step added offline was not saved: ${saved.definition.nodes.map((n) => n.id)}`,
      );
      await page.getByTestId("node-delay").waitFor();
      await shot(page, "outage-03-builder-saved-1440");
      console.log(`# outage: builder showed "Reconnecting…" ${builderNoticed} ms after the server stopped`);
    } catch (e) {
      const tail = nf.logs.join("").slice(-1500);
      if (tail) e.message += `\n--- nextflow log ---\n${tail}`;
      throw e;
    } finally {
      await nf.close();
    }
  });
}
