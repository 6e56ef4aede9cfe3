// The dashboard as a daily tool: honest palette, triggers that explain
// themselves, plain errors and a 404 page, and the monitoring pages at
// 390 px with the menu button.
import { shot, signup } from "../lib.mjs";

/** Calls the API from the page with the session cookie. */
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

const node = (id, type, config, y) => ({ id, type, config, position: { x: 0, y } });

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Registers the daily-use tests with run.mjs. */
export default function dailyTests(test) {
  test("daily: unavailable steps are greyed with the reason and refused at publish", async ({ page, base }) => {
    await signup(page, base, `avail${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Welcome email",
      definition: {
        nodes: [node("start", "trigger.manual", {}, 0), node("mail", "email.send", { to: "{{ contact.email }}", subject: "Hi", text: "Hello" }, 160)],
        edges: [{ id: "e1", source: "start", target: "mail" }],
      },
    });
    const types = await must(page, "GET", "/api/v1/node-types");
    const email = types.find((t) => t.type === "email.send");
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    const item = page.getByTestId("palette-item-email.send");
    await item.waitFor();
    if (email.available === false) {
      assert((await item.getAttribute("data-unavailable")) === "true", "email.send is not marked unavailable in the palette");
      assert((await item.getAttribute("draggable")) !== "true", "an unavailable step can be dragged");
      await page.getByTestId("node-problems-mail").waitFor();
      const r = await api(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
      assert(r.status === 422 && JSON.stringify(r.body).includes("unavailable_node_type"), `publish was not refused: ${r.status}`);
    } else {
      // This server runs every step (the channels and AI landed), so the
      // palette's side is checked with the server's answer marking one
      // step unavailable; the refusal at publish is covered by the Go tests
      // (internal/api/node_availability_test.go, internal/catalog).
      await page.route("**/api/v1/node-types", async (route) => {
        const res = await route.fetch();
        const list = await res.json();
        const fake = list.map((t) => (t.type === "email.send" ? { ...t, available: false, unavailableReason: "no email channel is connected" } : t));
        await route.fulfill({ response: res, json: fake });
      });
      await page.reload();
      await item.waitFor();
      assert((await item.getAttribute("data-unavailable")) === "true", "an unavailable step is not marked in the palette");
      assert((await item.getAttribute("draggable")) !== "true", "an unavailable step can be dragged");
      assert(((await item.getAttribute("title")) ?? "").toLowerCase().includes("no email channel is connected"), "the palette does not say why the step is unavailable");
    }
    await shot(page, "daily-palette-unavailable-1440");
  });

  test("daily: webhook and event triggers show how to call them", async ({ page, base }) => {
    await signup(page, base, `hook${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Order webhook",
      definition: { nodes: [node("hook", "trigger.webhook", {}, 0), node("done", "end", {}, 160)], edges: [{ id: "e1", source: "hook", target: "done" }] },
    });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-hook").click();
    const url = await page.getByTestId("webhook-url").inputValue();
    assert(url.endsWith(`/webhooks/${(await must(page, "GET", "/api/v1/auth/me")).activeTenant.id}/${wf.id}`), `unexpected webhook URL ${url}`);
    const curl = await page.getByTestId("webhook-curl").innerText();
    assert(curl.includes(`curl -X POST ${url}`), "the curl example does not call the URL");
    await shot(page, "daily-webhook-usage-1440");

    const ev = await must(page, "POST", "/api/v1/workflows", {
      name: "Signed up",
      definition: { nodes: [node("ev", "trigger.event", { event: "user.signed_up" }, 0), node("done", "end", {}, 160)], edges: [{ id: "e1", source: "ev", target: "done" }] },
    });
    await page.goto(`${base}/workflows/edit?id=${ev.id}`);
    await page.getByTestId("node-ev").click();
    const evCurl = await page.getByTestId("event-curl").innerText();
    assert(evCurl.includes('"name": "user.signed_up"') && evCurl.includes("/api/v1/events"), "the event example lacks the event name");
  });

  test("daily: plain errors and a real 404 page", async ({ page, base }) => {
    await signup(page, base, `err${Date.now()}`);
    const r = await api(page, "GET", "/api/v1/workflows/abcd");
    assert(r.body.detail === "id: not a valid ID", `raw error text: ${JSON.stringify(r.body)}`);
    const res = await page.goto(`${base}/no/such/page`);
    assert(res.status() === 404, `unknown URL answered ${res.status()}`);
    await page.getByTestId("not-found").waitFor();
    await shot(page, "daily-404");
  });

  test("daily: monitoring pages at 390 px with a menu button", async ({ page, base }) => {
    await signup(page, base, `narrow${Date.now()}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/executions`);
    await page.getByTestId("menu-button").click();
    await page.getByTestId("mobile-nav").waitFor();
    await shot(page, "daily-menu-390");
    await page.getByTestId("mobile-nav").getByTestId("nav-schedules").click();
    await page.waitForURL(/\/schedules/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `the schedules page scrolls sideways by ${overflow}px at 390 px`);
    await page.goto(`${base}/executions`);
    await page.waitForTimeout(500);
    const execOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(execOverflow <= 1, `the executions page scrolls sideways by ${execOverflow}px at 390 px`);
    await shot(page, "daily-executions-390");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("daily: a user creates another workspace", async ({ page, base }) => {
    await signup(page, base, `ws${Date.now()}`);
    await page.getByTestId("workspace-switcher").click();
    await page.getByTestId("new-workspace").click();
    await page.getByTestId("workspace-name").fill("Engines EU");
    await page.getByTestId("create-workspace-submit").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="workspace-switcher"]')?.textContent?.includes("Engines EU"), null, { timeout: 15_000 });
    await shot(page, "daily-new-workspace");
  });
}
