// Analytics (#18) and the segment trigger's picker (#19), end to end on
// data made through the API: a journey started by six events sends an email
// to each contact through a real SMTP server (an in-process sink) and splits
// them A/B; two contacts then do the goal event; a second workflow waits,
// and one of its three executions is cancelled. The Analytics page, its
// workflow filter and the workflow's own analytics (funnel, conversion with
// a goal picked from the seen event names, split variants) show the counts
// this test computes by hand. Screenshots at 1440 and 390 px, light and dark.
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { shot, signup } from "../lib.mjs";

async function api(page, method, url, body, headers = {}) {
  return page.evaluate(
    async ({ method, url, body, headers }) => {
      const r = await fetch(url, { method, headers: { "content-type": "application/json", ...headers }, body: body ? JSON.stringify(body) : undefined });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    { method, url, body, headers },
  );
}

async function must(page, method, url, body, headers) {
  const r = await api(page, method, url, body, headers);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function until(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** An SMTP server on a free loopback port that keeps every mail it is given. */
async function startSink() {
  const mails = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
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

/** The text of a test id's element, trimmed. */
const text = async (loc) => (await loc.innerText()).trim();

/** Waits until a test id's text is the expected one (the page refreshes as data arrives). */
async function expectText(page, loc, want, what) {
  try {
    await page.waitForFunction(([el, w]) => el && el.textContent.trim() === w, [await loc.elementHandle(), want], { timeout: 15_000 });
  } catch {
    throw new Error(`${what}: got "${await text(loc).catch(() => "?")}", want "${want}" at ${page.url()}`);
  }
}

const node = (id, type, config, y, label) => ({ id, type, config, position: { x: 200, y }, ...(label ? { label } : {}) });
const edge = (source, target, sourceHandle) => ({ id: `${source}-${sourceHandle ?? "out"}-${target}`, source, target, ...(sourceHandle ? { sourceHandle } : {}) });

const people = ["ada", "bo", "cy", "di", "ed", "flo"];
const converters = ["ada", "cy"];

/** Registers the analytics tests with run.mjs. */
export default function analyticsTests(test) {
  test("analytics: executions per day, delivery by channel, funnel, goal conversion and A/B split show the counts of seeded data (1440 and 390 px, dark)", async ({ page, base }) => {
    const sink = await startSink();
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      await signup(page, base, `analytics${Date.now()}`);

      // Nothing yet: the page explains what will appear.
      await page.goto(`${base}/analytics`);
      await page.getByText("No executions in this period").waitFor();
      await page.getByText("No messages in this period").waitFor();
      await shot(page, "analytics-01-empty-1440");

      const key = (await must(page, "POST", "/api/v1/api-keys", { name: "e2e backend", scopes: ["events:write"] })).key;
      for (const p of people) await must(page, "POST", "/api/v1/contacts", { externalId: p, name: p.toUpperCase(), email: `${p}@example.com` });
      const channel = await must(page, "POST", "/api/v1/channels", {
        kind: "email",
        name: "Sink",
        config: { host: "127.0.0.1", port: sink.port, tls: "none", from: "hello@engines.example", fromName: "Engines" },
      });

      // The journey: checkout.started → email → split a/b → one end each.
      const checkout = await must(page, "POST", "/api/v1/workflows", {
        name: "Checkout journey",
        definition: {
          nodes: [
            node("start", "trigger.event", { event: "checkout.started" }, 0),
            node("mail", "email.send", { connectionId: channel.id, subject: "Your cart", text: "Come back, {{ contact.name }}" }, 150),
            node("ab", "split", { variants: [{ name: "a", weight: 50 }, { name: "b", weight: 50 }] }, 300, "Subject test"),
            node("end_a", "end", {}, 450, "Took A"),
            node("end_b", "end", {}, 450, "Took B"),
          ],
          edges: [edge("start", "mail"), edge("mail", "ab"), edge("ab", "end_a", "a"), edge("ab", "end_b", "b")],
        },
      });
      await must(page, "POST", `/api/v1/workflows/${checkout.id}/publish`);
      await must(page, "POST", `/api/v1/workflows/${checkout.id}/activate`);
      const batch = people.map((p, i) => ({ name: "checkout.started", contact: { externalId: p }, messageId: `start-${i}` }));
      await must(page, "POST", "/api/v1/events", { batch }, { authorization: `Bearer ${key}` });
      const done = await until(
        "six completed checkout executions",
        async () => {
          const l = await must(page, "GET", `/api/v1/executions?workflowId=${checkout.id}&status=COMPLETED&limit=50`);
          return (l.items ?? []).length === people.length ? l.items : null;
        },
        45_000,
      );
      assert(done.length === 6, "six executions");
      await until("six mails in the sink", async () => sink.mails.length === people.length);
      // The goal: two of the six contacts order after they entered.
      const goals = converters.map((p, i) => ({ name: "order.completed", contact: { externalId: p }, messageId: `order-${i}` }));
      await must(page, "POST", "/api/v1/events", { batch: goals }, { authorization: `Bearer ${key}` });

      // A second workflow that waits; one of its three executions is cancelled.
      const slow = await must(page, "POST", "/api/v1/workflows", {
        name: "Slow follow-up",
        definition: {
          nodes: [node("start", "trigger.manual", {}, 0), node("wait", "delay", { duration: "1h" }, 150), node("done", "end", {}, 300)],
          edges: [edge("start", "wait"), edge("wait", "done")],
        },
      });
      await must(page, "POST", `/api/v1/workflows/${slow.id}/publish`);
      await must(page, "POST", `/api/v1/workflows/${slow.id}/activate`);
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await must(page, "POST", `/api/v1/workflows/${slow.id}/executions`, { input: { n: i } }));
      await until("three waiting executions", async () => {
        const l = await must(page, "GET", `/api/v1/executions?workflowId=${slow.id}&status=WAITING&limit=50`);
        return (l.items ?? []).length === 3;
      });
      await must(page, "POST", `/api/v1/executions/${runs[0].id}/cancel`, {});

      // By hand: 9 started (6 + 3), 6 completed, 1 cancelled, 0 failed; 2 waiting now; 6 emails sent.
      await page.goto(`${base}/analytics`);
      const tile = (id) => page.getByTestId(`${id}-value`);
      await expectText(page, tile("total-started"), "9", "started");
      await expectText(page, tile("total-completed"), "6", "completed");
      await expectText(page, tile("total-failed"), "0", "failed");
      await expectText(page, tile("total-cancelled"), "1", "cancelled");
      await expectText(page, tile("now-waiting"), "2", "waiting now");
      await expectText(page, tile("now-running"), "0", "running now");
      const email = page.getByTestId("channel-row-email");
      await expectText(page, email.getByTestId("sent"), "6", "emails sent");
      await page.getByTestId("executions-chart").locator(".recharts-bar-rectangle").first().waitFor();
      await page.getByTestId("channels-chart").locator(".recharts-bar-rectangle").first().waitFor();
      await shot(page, "analytics-02-workspace-1440");

      // The period picker: 7 days still holds today's executions; a custom period before them is empty.
      await page.getByTestId("period-7d").click();
      await page.waitForURL(/period=7d/);
      await expectText(page, tile("total-started"), "9", "started in 7 days");
      await page.getByTestId("period-custom").click();
      await page.getByTestId("period-from").fill("2026-01-01");
      await page.getByTestId("period-to").fill("2026-01-31");
      await page.getByText("No executions in this period").waitFor();
      await page.getByTestId("period-to").fill("2025-12-01");
      await page.getByTestId("period-error").filter({ hasText: "The last day is before the first day." }).waitFor();
      await page.getByTestId("period-30d").click();

      // The workflow filter narrows to the journey.
      await page.getByTestId("workflow-filter").selectOption({ label: "Checkout journey" });
      await page.waitForURL(/workflowId=/);
      await expectText(page, tile("total-started"), "6", "the journey's executions");
      await expectText(page, tile("total-cancelled"), "0", "the journey's cancelled");
      await expectText(page, tile("now-waiting"), "0", "the journey's waiting");

      // Dark theme, and a phone.
      await page.emulateMedia({ colorScheme: "dark" });
      await page.getByTestId("workflow-filter").selectOption({ label: "All workflows" });
      await expectText(page, tile("total-started"), "9", "started (dark)");
      await shot(page, "analytics-03-workspace-dark-1440");
      await page.emulateMedia({ colorScheme: "light" });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(wide <= 1, `the analytics page scrolls ${wide} px sideways at 390 px`);
      await shot(page, "analytics-04-workspace-390");
      await page.getByTestId("messages-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-05-messages-390");
      await page.setViewportSize({ width: 1440, height: 900 });

      // The journey's own analytics, reached from the builder.
      await page.goto(`${base}/workflows/edit?id=${checkout.id}`);
      await page.getByTestId("open-analytics").click();
      await page.waitForURL(/\/workflows\/analytics\?id=/);
      await page.getByTestId("workflow-analytics-name").filter({ hasText: "Checkout journey" }).waitFor();
      const stats = await must(page, "GET", `/api/v1/workflows/${checkout.id}/stats`);
      const tookA = stats.entered.end_a ?? 0;
      const tookB = stats.entered.end_b ?? 0;
      assert(tookA + tookB === 6, `ends: ${tookA} + ${tookB}`);
      const row = (id) => page.getByTestId(`funnel-row-${id}`);
      await expectText(page, row("start").getByTestId("entered"), "6", "trigger entered");
      await expectText(page, row("mail").getByTestId("completed"), "6", "email step completed");
      await expectText(page, row("ab").getByTestId("entered"), "6", "split entered");
      await expectText(page, row("end_a").getByTestId("entered"), String(tookA), "end A entered");
      await expectText(page, row("end_b").getByTestId("entered"), String(tookB), "end B entered");
      const pct = (n) => {
        const r = Math.round((n / 6) * 1000) / 10;
        return `${Number.isInteger(r) ? r : r.toFixed(1)}%`;
      };
      await expectText(page, page.getByTestId("end-end_a").getByTestId("end-share"), pct(tookA), "share of end A");

      // Split without a goal: entries per variant as the funnel's ends say.
      await expectText(page, page.getByTestId("variant-a").getByTestId("entered"), String(tookA), "variant a entered");
      await expectText(page, page.getByTestId("variant-b").getByTestId("entered"), String(tookB), "variant b entered");
      if (tookA) await expectText(page, page.getByTestId("variant-a").getByTestId("variant-ends"), `Took A ${tookA}`, "variant a's end");

      // Goal conversion: order.completed is offered from the seen event names; 2 of 6 converted within 3 days.
      await page.getByRole("heading", { name: "Pick a goal event" }).waitFor();
      const offered = await page.$$eval('[data-testid="goal-event-options"] option', (os) => os.map((o) => o.value));
      assert(offered.includes("order.completed") && offered.includes("checkout.started"), `goal options: ${offered}`);
      await page.getByTestId("goal-event").fill("order.completed");
      await page.getByTestId("goal-event").press("Enter");
      await page.waitForURL(/goal=order\.completed/);
      await expectText(page, page.getByTestId("conv-entries-value"), "6", "conversion entries");
      await expectText(page, page.getByTestId("conv-converted-value"), "2", "converted");
      await expectText(page, page.getByTestId("conv-rate-value"), "33.3%", "conversion rate");
      await page.getByTestId("conversion-chart").locator(".recharts-bar-rectangle").first().waitFor();
      const split = await must(page, "GET", `/api/v1/workflows/${checkout.id}/analytics/splits?goal=order.completed&within=72h`);
      const conv = Object.fromEntries(split.splits[0].variants.map((v) => [v.name, v.converted]));
      assert(conv.a + conv.b === 2, `variant conversions ${JSON.stringify(conv)}`);
      await expectText(page, page.getByTestId("variant-a").getByTestId("rate"), `${conv.a} · ${tookA ? (() => { const r = Math.round((conv.a / tookA) * 1000) / 10; return `${Number.isInteger(r) ? r : r.toFixed(1)}%`; })() : "0%"}`, "variant a converted");
      await shot(page, "analytics-06-workflow-1440");
      await page.getByTestId("funnel-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-07-workflow-funnel-1440");
      await page.getByTestId("splits-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-07b-workflow-splits-1440");
      await page.getByTestId("conversion-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-08-workflow-conversion-1440");
      await page.emulateMedia({ colorScheme: "dark" });
      await shot(page, "analytics-09-workflow-conversion-dark-1440");
      await page.emulateMedia({ colorScheme: "light" });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const wide2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(wide2 <= 1, `the workflow analytics page scrolls ${wide2} px sideways at 390 px`);
      // On a phone every figure of the funnel and of the split shows without scrolling inside its card.
      for (const [what, loc] of [
        ["the funnel's waiting count", row("end_b").getByTestId("waiting")],
        ["variant b's conversion", page.getByTestId("variant-b").getByTestId("rate")],
      ]) {
        const box = await loc.boundingBox(); // not scrolled into view: that would scroll a card sideways
        assert(box && box.x >= 0 && box.x + box.width <= 390, `${what} is outside the 390 px screen: ${JSON.stringify(box)}`);
      }
      await page.getByTestId("funnel-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-10-workflow-funnel-390");
      await page.getByTestId("splits-card").scrollIntoViewIfNeeded();
      await shot(page, "analytics-11-workflow-splits-390");
    } finally {
      await sink.close();
    }
  });

  test("builder: trigger.segment offers the workspace's segments by name with their member count, and has its icon", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `segpick${Date.now()}`);
    for (const p of ["ann", "bob", "cat"]) await must(page, "POST", "/api/v1/contacts", { externalId: p, email: `${p}@example.com`, attributes: { plan: p === "cat" ? "FREE" : "PRO" } });
    const vip = await must(page, "POST", "/api/v1/segments", { name: "PRO customers", definition: { attribute: { key: "plan", op: "eq", value: "PRO" } } });
    await must(page, "POST", "/api/v1/segments", { name: "Everyone on FREE", definition: { attribute: { key: "plan", op: "eq", value: "FREE" } } });
    await until("the segment's first computation", async () => (await must(page, "GET", `/api/v1/segments/${vip.id}`)).computedAt);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "PRO onboarding",
      definition: { nodes: [node("start", "trigger.segment", { segmentId: vip.id, on: "entered" }, 0), node("done", "end", {}, 150)], edges: [edge("start", "done")] },
    });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    const start = page.getByTestId("node-start");
    await start.waitFor();
    // The node shows the segment trigger's own icon (lucide's funnel), not the generic trigger bolt.
    assert((await start.locator("svg.lucide-funnel").count()) > 0, "trigger.segment has no funnel icon");
    // The node names the segment, not its ID.
    await start.getByText("Enters PRO customers").waitFor();
    await start.click();
    const picker = page.getByTestId("segment-picker");
    await picker.waitFor();
    assert((await picker.inputValue()) === vip.id, "the picker shows the stored segment");
    const options = await picker.locator("option").allInnerTexts();
    assert(options.includes("PRO customers · 2 members"), `options: ${options}`);
    assert(options.some((o) => o.startsWith("Everyone on FREE · ")), `options: ${options}`);
    await shot(page, "analytics-12-segment-picker-1440");
  });
}
