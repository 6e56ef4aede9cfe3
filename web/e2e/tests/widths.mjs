// Every width (#16 item 12) and the small things of item 10: the builder at
// 390 px says it is best on a larger screen and does not scroll sideways;
// the monitoring pages at 1440 and 390 px, none wider than the screen; a
// dark theme that follows the system preference; a favicon.
import { shot, signup } from "../lib.mjs";

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

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const node = (id, type, config, x, y, label) => ({ id, type, config, position: { x, y }, ...(label ? { label } : {}) });

/** How far the page scrolls sideways, and the widest element that sticks out (to say where). */
async function sideways(page) {
  return page.evaluate(() => {
    const px = document.documentElement.scrollWidth - window.innerWidth;
    const wide = [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && el.checkVisibility?.()).pop();
    return { px, wide: wide ? `${wide.tagName.toLowerCase()}.${String(wide.className).slice(0, 80)}` : "" };
  });
}

/** Registers the width tests with run.mjs. */
export default function widthTests(test) {
  test("widths: the builder at 390 px says it is best on a larger screen and does not break; monitoring pages at 1440 and 390 px; dark theme; favicon", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `widths${Date.now()}`);
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "Spring campaign for returning customers in Europe",
      definition: {
        nodes: [
          node("start", "trigger.manual", {}, 0, 0, "Customer came back"),
          node("vip", "condition", { expression: "trigger.input.amount > 100" }, 0, 160, "Spent more than 100 euros?"),
          node("tag", "set_attribute", { target: "vars", attributes: { tier: "'gold'" } }, -160, 320, "Tag as a gold customer"),
          node("done", "end", {}, 0, 480, "Done"),
        ],
        edges: [
          { id: "e1", source: "start", target: "vip" },
          { id: "e2", source: "vip", sourceHandle: "true", target: "tag" },
          { id: "e3", source: "tag", target: "done" },
          { id: "e4", source: "vip", sourceHandle: "false", target: "done" },
        ],
      },
    });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    const run = await must(page, "POST", `/api/v1/workflows/${wf.id}/executions`, { input: { amount: 150 } });
    for (let i = 0; i < 100; i++) {
      if ((await must(page, "GET", `/api/v1/executions/${run.id}`)).status === "COMPLETED") break;
      await page.waitForTimeout(100);
    }
    await must(page, "POST", "/api/v1/contacts", { externalId: "user-ada", email: "ada.lovelace.long.address@analytical-engines.example.com", name: "Ada Lovelace" });
    await must(page, "POST", "/api/v1/schedules", { workflowId: wf.id, cron: "0 9 * * 1-5", timezone: "Europe/Berlin" });

    // The first load of the builder (navigation until the canvas shows the steps), for the record.
    const t0 = Date.now();
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-done").waitFor();
    console.log(`# builder first load: ${Date.now() - t0} ms`);
    await shot(page, "widths-builder-1440");

    // The builder at 390 px: a note, no palette, the canvas on screen, the inspector over it for a selected step.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-vip").waitFor();
    await page.getByTestId("small-screen-note").waitFor();
    assert(!(await page.getByTestId("palette").isVisible()), "the palette takes the phone's width");
    let over = await sideways(page);
    assert(over.px <= 1, `the builder scrolls sideways by ${over.px} px at 390 px (${over.wide})`);
    const canvas = await page.getByTestId("canvas").boundingBox();
    assert(canvas && canvas.width >= 300, `the canvas is ${canvas?.width} px wide at 390 px`);
    await page.getByRole("button", { name: "Fit View" }).click().catch(() => {});
    await page.waitForTimeout(300);
    await shot(page, "widths-builder-390");
    await page.getByTestId("node-vip").click();
    await page.getByTestId("node-panel").waitFor();
    const panel = await page.getByTestId("node-panel").boundingBox();
    assert(panel && panel.x >= -1 && panel.x + panel.width <= 391, `the step panel sticks out: ${JSON.stringify(panel)}`);
    over = await sideways(page);
    assert(over.px <= 1, `the builder with a step open scrolls sideways by ${over.px} px (${over.wide})`);
    await shot(page, "widths-builder-390-panel");

    // Monitoring pages at both widths.
    const pages = [
      ["executions", "/executions", '[data-testid^="execution-"]'],
      ["execution", `/executions/view?id=${run.id}`, '[data-testid="step-done"]'],
      ["contacts", "/contacts", "text=Ada Lovelace"],
      ["schedules", "/schedules", '[data-testid="schedule-row"]'],
      ["members", "/settings/members", "h1"],
      ["workspace", "/settings/workspace", "h1"],
      ["api-keys", "/settings/api-keys", "h1"],
      ["audit-log", "/settings/audit-log", "text=version.published"],
    ];
    for (const [w, h] of [
      [1440, 900],
      [390, 844],
    ]) {
      await page.setViewportSize({ width: w, height: h });
      for (const [name, url, ready] of pages) {
        await page.goto(`${base}${url}`);
        await page.locator(ready).filter({ visible: true }).first().waitFor();
        await page.waitForLoadState("networkidle").catch(() => {});
        over = await sideways(page);
        assert(over.px <= 1, `${name} scrolls sideways by ${over.px} px at ${w} px (${over.wide})`);
        if (w === 390) assert(await page.getByTestId("menu-button").isVisible(), `${name} at 390 px has no menu button`);
        await shot(page, `widths-${name}-${w}`);
      }
    }
    // At 390 px the execution's step labels are not cut to a few letters.
    await page.goto(`${base}/executions/view?id=${run.id}`);
    const label = page.getByTestId("step-vip").getByText("Spent more than 100 euros?");
    await label.waitFor();
    const cut = await label.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    assert(!cut, "the step label is cut at 390 px");

    // Dark theme: the system preference turns the surfaces dark.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${base}/executions`);
    await page.locator('[data-testid^="execution-row-"]').first().waitFor();
    const lum = await page.evaluate(() => {
      const c = getComputedStyle(document.querySelector("header")).backgroundColor;
      const m = c.match(/[\d.]+/g).map(Number);
      return c.startsWith("oklch") ? m[0] * (m[0] <= 1 ? 255 : 2.55) : (m[0] + m[1] + m[2]) / 3;
    });
    assert(lum < 80, `the header is not dark with a dark system theme (${lum})`);
    await shot(page, "widths-dark-executions-1440");
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-done").waitFor();
    await shot(page, "widths-dark-builder-1440");
    await page.emulateMedia({ colorScheme: "light" });

    // A favicon.
    const icon = await page.locator('link[rel="icon"]').first().getAttribute("href");
    assert(icon, "no favicon link");
    const res = await page.request.get(new URL(icon, base).href);
    assert(res.ok() && (res.headers()["content-type"] ?? "").includes("svg"), `the favicon answers ${res.status()} ${res.headers()["content-type"]}`);
  });
}
