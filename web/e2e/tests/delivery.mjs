// Delivery, end to end through the dashboard: connect an email channel to
// a real SMTP server (an in-process sink), write a template with its live
// preview, build and publish a journey whose email.send uses it, start it
// with an event, and see the message sent in the contact's history and on
// the execution's step; the sink holds the mail with both parts and the
// List-Unsubscribe link. Then the
// suppression list: a suppressed address is skipped, with the reason.
//
// The SMTP sink listens on loopback, which the SSRF guard refuses unless
// allowed, so this file starts its own NextFlow with NEXTFLOW_HTTP_ALLOW
// set (the shared server of run.mjs keeps the guard closed).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { connect, dropNode, newWorkflow, shot, signup, waitSaved } from "../lib.mjs";

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

async function until(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An SMTP server on a free loopback port that keeps every mail it is given, parsed. */
async function startSink() {
  const mails = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (m) => {
          mails.push({ mail: m, envelope: session.envelope });
          cb();
        },
        (err) => cb(err),
      );
    },
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return { mails, port: server.server.address().port, close: () => new Promise((r) => server.close(r)) };
}

/** A NextFlow of its own, allowed to reach loopback (the sink). */
async function startNextflow() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "nextflow-delivery-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir];
  if (webDir) args.push("--web-dir", webDir);
  const logs = [];
  const proc = spawn(bin, args, {
    env: { ...process.env, NEXTFLOW_LOG_LEVEL: "warn", NEXTFLOW_HTTP_ALLOW: "127.0.0.1", NEXTFLOW_BASE_URL: base },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.on("data", (d) => logs.push(String(d)));
  proc.stderr.on("data", (d) => logs.push(String(d)));
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await until(
      "nextflow /readyz",
      async () => {
        if (proc.exitCode !== null) throw new Error(`nextflow exited with ${proc.exitCode}: ${logs.join("")}`);
        return fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, logs, stop };
}

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

// The shell is desktop-only (min 1024 px): at 390 px lift its minimum and
// hide the sidebar, so the screenshot shows the page's own column.
async function phone(page) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.addStyleTag({ content: "body .min-w-\\[1024px\\]{min-width:0!important} nav[aria-label='Main']{display:none!important}" });
  await page.waitForTimeout(100);
}

async function noSidewaysScroll(page, what) {
  const over = await page.evaluate(() => {
    const main = document.querySelector("main > div");
    if (!main) return { px: 0 };
    const px = main.scrollWidth - main.clientWidth;
    // Name the deepest element that sticks out, so a failure says where.
    const right = main.getBoundingClientRect().left + main.clientWidth;
    const wide = [...main.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > right + 1).pop();
    return { px, wide: wide ? `${wide.tagName.toLowerCase()}.${String(wide.className).slice(0, 80)}` : "" };
  });
  assert(over.px <= 1, `${what}: content is ${over.px} px wider than its column (${over.wide})`);
}

/** Registers the delivery and suppression tests with run.mjs. */
export default function deliveryTests(test) {
  test("delivery: connect email, template with preview, journey sends, the contact's history and the execution step show it sent", async ({ page }) => {
    const sink = await startSink();
    const nf = await startNextflow();
    try {
      const base = nf.base;
      await page.setViewportSize({ width: 1440, height: 900 });
      await signup(page, base, `deliv${Date.now()}`);
      const grace = await api(page, "POST", "/api/v1/contacts", { externalId: "user-grace", email: "grace@example.com", name: "Grace Hopper" });
      assert(grace.status < 300, `contact: ${grace.status} ${JSON.stringify(grace.body)}`);

      // 1. Connect the email channel to the sink; the test connection succeeds.
      await page.goto(`${base}/channels`);
      await page.getByRole("button", { name: "Connect channel" }).first().click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel(/^Name\*?$/).fill("Transactional email");
      await dialog.getByLabel(/^SMTP host/).fill("127.0.0.1");
      await dialog.getByLabel(/^Port$/).fill(String(sink.port));
      await dialog.getByLabel(/^Default from address/).fill("hello@engines.example");
      await dialog.getByLabel("Default from name").fill("Analytical Engines");
      await dialog.getByLabel(/^TLS$/).selectOption("none");
      await dialog.getByRole("button", { name: "Connect" }).click();
      await dialog.waitFor({ state: "hidden" });
      const row = page.getByTestId("channel-row");
      await row.getByRole("button", { name: "Test connection" }).click();
      await row.getByText("Working").waitFor({ timeout: 30_000 });

      // 2. A template, previewed for Grace while it is written.
      await page.goto(`${base}/templates`);
      await page.getByRole("link", { name: "New template" }).first().click();
      await page.waitForURL(/\/templates\/edit/);
      await page.getByLabel(/^Name\*?$/).fill("Welcome email");
      await page.getByLabel(/^Subject/).fill("Welcome aboard, {{ contact.name }}!");
      await page.getByLabel("HTML body").fill("<h1>Hello {{ contact.name }}</h1><p>Your engine is ready.</p>");
      await page.getByLabel("Text body").fill("Hello {{ contact.name }}, your engine is ready.");
      await page.getByLabel(/^Contact$/).selectOption({ label: "Grace Hopper" });
      await page.getByTestId("preview-subject").filter({ hasText: "Welcome aboard, Grace Hopper!" }).waitFor();
      await page.frameLocator('iframe[title="HTML preview"]').getByText("Hello Grace Hopper").waitFor();
      await page.getByRole("button", { name: "Create template" }).click();
      await page.waitForURL(/\/templates\/edit\?id=/);
      const templateId = new URL(page.url()).searchParams.get("id");
      assert(templateId, "no template id in the URL");

      // 3. The journey: user.signed_up → Send email (the template) → end; published and active.
      await page.goto(`${base}/workflows`);
      await newWorkflow(page, "Welcome journey");
      await dropNode(page, "trigger.event", 270, 60);
      await dropNode(page, "email.send", 270, 220);
      await dropNode(page, "end", 270, 380);
      for (const id of ["trigger_event", "email_send", "end"]) await page.getByTestId(`node-${id}`).waitFor();
      await connect(page, "trigger_event", "out", "email_send");
      await connect(page, "email_send", "out", "end");
      await page.getByTestId("node-trigger_event").click();
      await page.getByTestId("node-panel").getByTestId("field-event").fill("user.signed_up");
      await waitSaved(page);
      await page.keyboard.press("Escape");
      await page.getByTestId("node-email_send").click();
      await page.getByTestId("node-panel").getByTestId("field-templateId").fill(templateId);
      await waitSaved(page);
      await page.locator('[aria-label="Close panel"]').click();
      await page.getByTestId("problems-none").waitFor({ timeout: 15_000 }).catch(async (e) => {
        const problems = await page.getByTestId("problems-list").innerText().catch(() => "(no problems list)");
        throw new Error(`the journey has problems: ${problems}\n${e.message}`);
      });
      await page.getByTestId("publish").click();
      await page.getByText("Published version 1.").waitFor({ timeout: 15_000 });
      await page.getByTestId("activate-toggle").click();
      await page.waitForFunction(() => document.querySelector('[data-testid="activate-toggle"]')?.getAttribute("aria-checked") === "true", null, {
        timeout: 15_000,
      });
      const workflowId = new URL(page.url()).searchParams.get("id");

      // 4. Grace signs up (the events API, as a backend would call it): the journey starts for her.
      const key = await api(page, "POST", "/api/v1/api-keys", { name: "backend", scopes: ["events:write"] });
      assert(key.status === 201, `api key: ${key.status}`);
      const ev = await fetch(`${base}/api/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key.body.key}` },
        body: JSON.stringify({ name: "user.signed_up", contact: { externalId: "user-grace" }, properties: { plan: "pro" } }),
      });
      assert(ev.ok, `event: ${ev.status} ${await ev.text()}`);

      // 5. The sink receives one mail, multipart with both parts and the one-click unsubscribe headers.
      const { mail, envelope } = await until("the mail at the SMTP sink", () => sink.mails[0]);
      assert(envelope.rcptTo.map((r) => r.address).join() === "grace@example.com", `rcpt: ${JSON.stringify(envelope.rcptTo)}`);
      assert(mail.subject === "Welcome aboard, Grace Hopper!", `subject: ${mail.subject}`);
      assert(mail.from?.text.includes("hello@engines.example"), `from: ${mail.from?.text}`);
      assert(/Hello Grace Hopper, your engine is ready\./.test(mail.text ?? ""), `text part: ${mail.text}`);
      assert(/<h1>Hello Grace Hopper<\/h1>/.test(mail.html || ""), `html part: ${mail.html}`);
      assert(/multipart\/alternative/.test(mail.headers.get("content-type")?.value ?? ""), `content-type: ${JSON.stringify(mail.headers.get("content-type"))}`);
      const header = (name) => mail.headerLines.find((h) => h.key === name)?.line ?? "";
      assert(header("list-unsubscribe").includes(`<${base}/`), `List-Unsubscribe: ${header("list-unsubscribe")}`);
      // RFC 8058's List-Unsubscribe-Post goes with https links only; this server's base URL is http.
      assert(header("list-unsubscribe-post") === "", `List-Unsubscribe-Post on an http link: ${header("list-unsubscribe-post")}`);
      assert(header("message-id") !== "", "no Message-ID");

      // 6. The contact's history shows the message sent, with the template's name and its times.
      await page.goto(`${base}/contacts/view?id=${grace.body.id}`);
      const hist = page.getByTestId("message-history");
      const msg = hist.locator('[data-testid="message-row"][data-status="sent"]');
      await msg.waitFor({ timeout: 30_000 });
      await msg.getByText("Welcome email").waitFor();
      await msg.getByText("grace@example.com").waitFor();
      await hist.scrollIntoViewIfNeeded();
      await shot(page, "delivery-contact-history-1440");
      await phone(page);
      await page.reload();
      await phone(page);
      await hist.locator('[data-testid="message-row"][data-status="sent"]').waitFor();
      await noSidewaysScroll(page, "contact history at 390");
      await hist.scrollIntoViewIfNeeded();
      await shot(page, "delivery-contact-history-390");

      // 7. The execution view shows the message on the step that sent it.
      await page.setViewportSize({ width: 1440, height: 900 });
      const runs = await api(page, "GET", `/api/v1/executions?workflowId=${workflowId}`);
      const runList = Array.isArray(runs.body) ? runs.body : runs.body.items;
      assert(runList?.length === 1, `executions: ${JSON.stringify(runs.body)}`);
      await page.goto(`${base}/executions/view?id=${runList[0].id}`);
      await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.getAttribute("data-status") === "COMPLETED", null, {
        timeout: 30_000,
      });
      const stepMsg = page.getByTestId("step-email_send").getByTestId("step-messages").locator('[data-testid="message-row"][data-status="sent"]');
      await stepMsg.waitFor();
      await stepMsg.getByText("Welcome email").waitFor();
      assert((await page.getByTestId("step-trigger_event").getByTestId("step-messages").count()) === 0, "the trigger step lists a message");
      await shot(page, "delivery-execution-1440");
      await phone(page);
      await page.reload();
      await phone(page);
      await page.getByTestId("step-email_send").getByTestId("message-row").waitFor();
      await noSidewaysScroll(page, "execution at 390");
      await page.getByTestId("step-email_send").scrollIntoViewIfNeeded();
      await shot(page, "delivery-execution-390");

      // 8. Suppressed: the next send to Grace is skipped, and the history says why.
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(`${base}/suppressions`);
      await page.getByText("No suppressed addresses").waitFor();
      await page.getByRole("button", { name: "Suppress address" }).first().click();
      const add = page.getByRole("dialog");
      await add.getByLabel(/^Address/).fill("Grace@Example.com");
      await add.getByLabel(/^Reason/).selectOption("complaint");
      await add.getByRole("button", { name: "Suppress", exact: true }).click();
      await add.waitFor({ state: "hidden" });
      await page.getByTestId("suppression-row").getByText("grace@example.com").waitFor();
      const again = await fetch(`${base}/api/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key.body.key}` },
        body: JSON.stringify({ name: "user.signed_up", contact: { externalId: "user-grace" } }),
      });
      assert(again.ok, `second event: ${again.status}`);
      await page.goto(`${base}/contacts/view?id=${grace.body.id}`);
      const skipped = page.getByTestId("message-history").locator('[data-testid="message-row"][data-status="skipped"]');
      await skipped.waitFor({ timeout: 30_000 });
      await skipped.getByText(/is suppressed/).waitFor();
      assert(sink.mails.length === 1, `the suppressed address got mail: ${sink.mails.length}`);
    } catch (e) {
      const tail = nf.logs.join("").slice(-2000);
      if (tail) e.message += `\n--- nextflow log ---\n${tail}`;
      throw e;
    } finally {
      await nf.stop();
      await sink.close();
    }
  });

  test("delivery: the suppression list searches, adds with field errors, and removes after confirming", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `supp${Date.now()}`);
    for (const s of [
      { channel: "email", address: "ada@example.com", reason: "hard_bounce" },
      { channel: "email", address: "alan@example.com", reason: "unsubscribed" },
      { channel: "whatsapp", address: "+4915112345678" },
      { channel: "messenger", address: "24012345678901234", reason: "complaint" },
    ]) {
      const r = await api(page, "POST", "/api/v1/suppressions", s);
      assert(r.status === 201, `suppress ${s.address}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await page.goto(`${base}/suppressions`);
    const rows = page.getByTestId("suppression-row");
    await rows.nth(3).waitFor();
    await rows.getByText("+4915112345678").waitFor();
    await shot(page, "suppressions-1440");

    // Search narrows the list: part of an address, a phone number as typed.
    await page.getByTestId("suppression-search").fill("ALAN");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="suppression-row"]').length === 1);
    await page.getByTestId("suppression-search").fill("+49 151");
    await page.waitForFunction(() => document.querySelector('[data-testid="suppression-row"]')?.getAttribute("data-channel") === "whatsapp");
    await page.getByTestId("suppression-search").fill("nobody");
    await page.getByText("No suppressed address matches").waitFor();
    await page.getByTestId("suppression-search").fill("");
    await rows.nth(3).waitFor();

    // A bad address is refused on its field; an address already suppressed says so.
    await page.getByRole("button", { name: "Suppress address" }).first().click();
    const add = page.getByRole("dialog");
    await add.getByLabel(/^Channel/).selectOption("whatsapp");
    await add.getByLabel(/^Address/).fill("12");
    await add.getByRole("button", { name: "Suppress", exact: true }).click();
    await add.getByText(/not a phone number/).waitFor();
    await shot(page, "suppressions-add-error-1440");
    await add.getByLabel(/^Channel/).selectOption("email");
    await add.getByLabel(/^Address/).fill("ADA@example.com");
    await add.getByRole("button", { name: "Suppress", exact: true }).click();
    await add.getByText(/already suppressed on email \(hard_bounce\)/).waitFor();
    await add.getByLabel(/^Address/).fill("charles@example.com");
    await add.getByRole("button", { name: "Suppress", exact: true }).click();
    await add.waitFor({ state: "hidden" });
    await rows.getByText("charles@example.com").waitFor();

    // Removing asks first (and warns about a bounce), then the row goes.
    await page.getByRole("button", { name: "Remove suppression of ada@example.com" }).click();
    await page.getByText(/sending to it again can hurt your sender reputation/).waitFor();
    await shot(page, "suppressions-remove-confirm-1440");
    await page.getByRole("button", { name: "Remove suppression", exact: true }).click();
    await rows.getByText("ada@example.com", { exact: true }).waitFor({ state: "detached" });
    const audit = await api(page, "GET", "/api/v1/audit-log");
    const actions = audit.body.items.filter((e) => e.targetType === "suppression").map((e) => `${e.action} ${e.targetId}`);
    assert(actions[0] === "suppression.removed email:ada@example.com", `audit: ${actions.join(", ")}`);
    assert(actions.includes("suppression.added email:charles@example.com"), `audit: ${actions.join(", ")}`);

    await phone(page);
    await page.reload();
    await phone(page);
    await rows.nth(3).waitFor();
    await noSidewaysScroll(page, "suppressions at 390");
    await shot(page, "suppressions-390");
    await page.setViewportSize({ width: 1280, height: 800 });
  });
}
