// Segments (#19): contacts and events made through the API, a segment
// built in the editor on an attribute and an event-count window; the live
// count and sample equal what this test computes by hand, a server error
// lands on the offending condition, the saved segment lists its members
// with links to their contacts, and a delete asks first. Screenshots at
// 1440 and 390 px.
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

const DAY = 86_400_000;

/**
 * The people of the test: plan and the days ago of each order.completed.
 * The segment is "plan = PRO and did order.completed at least 2 times in
 * the last 30 days"; ben's second order is 40 days old, so he is out.
 */
const people = [
  { externalId: "ana", name: "Ana Alves", email: "ana@example.com", plan: "PRO", orders: [1, 3, 12] },
  { externalId: "ben", name: "Ben Brook", email: "ben@example.com", plan: "PRO", orders: [5, 40] },
  { externalId: "cy", name: "Cy Chen", email: "cy@example.com", plan: "PRO", orders: [1, 2] },
  { externalId: "dee", name: "Dee Dunn", email: "dee@example.com", plan: "FREE", orders: [1, 2, 3] },
  { externalId: "eli", name: "Eli Evans", email: "eli@example.com", plan: "PRO", orders: [] },
  { externalId: "fay", name: "Fay Fox", email: "fay@example.com", plan: "PRO", orders: [10, 20, 45, 60] },
  { externalId: "gus", name: "Gus Gray", email: "gus@example.com", plan: "pro", orders: [1, 2] },
];
const within = (p, days) => p.orders.filter((d) => d < days).length;
const expectPro = people.filter((p) => p.plan === "PRO");
const expectSegment = expectPro.filter((p) => within(p, 30) >= 2);

/** How far the page scrolls sideways (0 when nothing sticks out). */
async function sideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Waits until the preview shows a settled count, and returns it with the sample's contact IDs. */
async function settledPreview(page, count) {
  await page.waitForFunction((n) => document.querySelector('[data-testid="segment-preview-count"]')?.getAttribute("data-count") === String(n), count, { timeout: 15_000 });
  return page.$$eval('[data-testid="segment-sample-item"]', (els) => els.map((e) => e.getAttribute("data-contact-id")));
}

/** Registers the segment tests with run.mjs. */
export default function segmentTests(test) {
  test("segments: build on an attribute and an event-count window, the live count and sample match, save, members (1440 and 390 px)", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `segments${Date.now()}`);
    const key = (await must(page, "POST", "/api/v1/api-keys", { name: "e2e backend", scopes: ["events:write"] })).key;
    const ids = new Map();
    for (const p of people) {
      const c = await must(page, "POST", "/api/v1/contacts", { externalId: p.externalId, name: p.name, email: p.email, attributes: { plan: p.plan } });
      ids.set(p.externalId, c.id);
    }
    const now = Date.now();
    const batch = people.flatMap((p) =>
      p.orders.map((d, i) => ({ name: "order.completed", contact: { externalId: p.externalId }, timestamp: new Date(now - d * DAY + 60_000).toISOString(), messageId: `${p.externalId}-${i}`, properties: { total: 10 * (i + 1) } })),
    );
    batch.push({ name: "app.opened", contact: { externalId: "eli" } });
    const ingest = await must(page, "POST", "/api/v1/events", { batch }, { authorization: `Bearer ${key}` });
    assert(ingest.accepted === batch.length, `events accepted ${JSON.stringify(ingest)}`);

    // Audience → Segments, empty at first.
    await page.goto(`${base}/contacts`);
    await page.getByTestId("nav-segments").click();
    await page.waitForURL(/\/segments\/?$/);
    await page.getByText("No segments yet").waitFor();
    await shot(page, "segments-01-empty-1440");
    await page.getByTestId("new-segment").click();
    await page.waitForURL(/\/segments\/edit\/?$/);

    // An attribute condition: plan = PRO (case matters: gus's "pro" stays out).
    await page.getByTestId("segment-name").fill("Loyal PRO customers");
    await page.getByTestId("seg-g-0-key").fill("plan");
    await page.getByTestId("seg-g-0-value").fill("PRO");
    const proSample = await settledPreview(page, expectPro.length);
    assert(
      proSample.length === expectPro.length && expectPro.every((p) => proSample.includes(ids.get(p.externalId))),
      `sample ${proSample} is not the PRO contacts`,
    );

    // The server's refusal lands on the offending condition: a boolean compared with ">".
    await page.getByTestId("seg-g-0-op").selectOption("gt");
    await page.getByTestId("seg-g-0-value").fill("true");
    const err = page.getByTestId("seg-g-0-error");
    await err.waitFor({ timeout: 15_000 });
    assert((await err.innerText()).includes("boolean compares with eq or ne"), `error on the condition: ${await err.innerText()}`);
    assert((await page.getByTestId("seg-g-0").getAttribute("data-invalid")) === "true", "the condition is not marked");
    await shot(page, "segments-02-error-on-condition-1440");
    await page.getByTestId("seg-g-0-op").selectOption("eq");
    await page.getByTestId("seg-g-0-value").fill("PRO");
    await err.waitFor({ state: "detached" });

    // An event-count window: did order.completed at least 2 times in the last 30 days.
    await page.getByTestId("seg-g-add-condition").click();
    await page.getByTestId("seg-g-1-kind").selectOption("performed");
    await page.getByTestId("seg-g-1-event").fill("order.completed");
    await page.getByTestId("seg-g-1-quant").selectOption("gte");
    await page.getByTestId("seg-g-1-count").fill("2");
    await page.getByTestId("seg-g-1-window").selectOption("window");
    await page.getByTestId("seg-g-1-amount").fill("30");
    await page.getByTestId("seg-g-1-unit").selectOption("days");
    const sample = await settledPreview(page, expectSegment.length);
    const want = expectSegment.map((p) => ids.get(p.externalId)).sort();
    assert(JSON.stringify([...sample].sort()) === JSON.stringify(want), `sample ${sample} want ${want}`);
    const summary = await page.getByTestId("segment-summary").innerText();
    assert(summary.includes('plan = "PRO" and did order.completed at least 2 times in the last 30 days'), `summary: ${summary}`);
    await page.getByTestId("segment-description").fill("PRO plan, two orders or more in the last 30 days");
    await shot(page, "segments-03-editor-1440");

    // Save: the segment's page, computed in the background, lists the members.
    await page.getByTestId("segment-save").click();
    await page.waitForURL(/\/segments\/view\/?\?id=/, { timeout: 15_000 });
    const segUrl = page.url();
    await page.getByTestId("segment-title").getByText("Loyal PRO customers").waitFor();
    await page.getByTestId("segment-members-count").getByText(String(expectSegment.length), { exact: true }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="segment-member"]').nth(expectSegment.length - 1).waitFor();
    const members = await page.$$eval('[data-testid="segment-member"]', (els) => els.map((e) => e.getAttribute("data-contact-id")));
    assert(JSON.stringify([...members].sort()) === JSON.stringify(want), `members ${members} want ${want}`);
    await page.getByTestId("segment-journey").waitFor();
    await shot(page, "segments-04-view-1440");

    // A member links to the contact.
    await page.locator('[data-testid="segment-member"]').first().click();
    await page.waitForURL(/\/contacts\/view\/?\?id=/);
    assert(want.includes(new URL(page.url()).searchParams.get("id")), "the member link opens another contact");

    // The list: name, member count, computed time.
    await page.goto(`${base}/segments`);
    const row = page.locator('[data-testid="segment-row"][data-name="Loyal PRO customers"]');
    await row.waitFor();
    assert((await row.getByTestId("segment-member-count").innerText()).trim() === String(expectSegment.length), "list member count");
    await shot(page, "segments-05-list-1440");

    // The editor loads the stored definition back into the form.
    await page.goto(segUrl);
    await page.getByTestId("segment-edit").click();
    await page.waitForURL(/\/segments\/edit\/?\?id=/);
    assert((await page.getByTestId("seg-g-1-event").inputValue()) === "order.completed", "event name loaded");
    assert((await page.getByTestId("seg-g-0-value").inputValue()) === "PRO", "value loaded");
    await settledPreview(page, expectSegment.length);

    // 390 px: editor, segment page and list, none wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await settledPreview(page, expectSegment.length);
    assert((await sideways(page)) <= 1, `editor scrolls sideways at 390 px by ${await sideways(page)} px`);
    await shot(page, "segments-06-editor-390");
    await page.getByTestId("seg-g-1").scrollIntoViewIfNeeded();
    await shot(page, "segments-07-editor-390-conditions");
    await page.getByTestId("segment-preview").scrollIntoViewIfNeeded();
    await shot(page, "segments-08-editor-390-preview");
    await page.goto(segUrl);
    await page.locator('[data-testid="segment-member"]').first().waitFor();
    assert((await sideways(page)) <= 1, "segment page scrolls sideways at 390 px");
    await shot(page, "segments-09-view-390");
    await page.getByTestId("segment-members").scrollIntoViewIfNeeded();
    await shot(page, "segments-10-view-390-members");
    await page.goto(`${base}/segments`);
    await page.getByTestId("segments-cards").waitFor();
    assert((await sideways(page)) <= 1, "segments list scrolls sideways at 390 px");
    await shot(page, "segments-11-list-390");

    // Delete asks first; Cancel keeps the segment, confirming removes it.
    await page.setViewportSize({ width: 1440, height: 900 });
    const other = await must(page, "POST", "/api/v1/segments", { name: "Quiet", definition: { performed: { event: "app.opened", op: "eq", count: 0, withinSeconds: 14 * 86_400 } } });
    await page.goto(`${base}/segments/view?id=${other.id}`);
    await page.getByTestId("segment-delete").click();
    await page.getByRole("button", { name: "Cancel" }).click();
    assert((await api(page, "GET", `/api/v1/segments/${other.id}`)).status === 200, "cancel deleted the segment");
    await page.getByTestId("segment-delete").click();
    await shot(page, "segments-12-delete-1440");
    await page.getByTestId("confirm-action").click();
    await page.waitForURL(/\/segments\/?$/);
    assert((await api(page, "GET", `/api/v1/segments/${other.id}`)).status === 404, "the segment is still there");
  });

  test("segments: a broadcast to a segment shows the audience size, runs to done / total, and a scheduled one pauses, resumes and cancels", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, `broadcast${Date.now()}`);
    const pro = ["ana", "ben", "cy", "dee", "eli"];
    for (const x of pro) await must(page, "POST", "/api/v1/contacts", { externalId: x, email: `${x}@example.com`, attributes: { plan: "PRO" } });
    await must(page, "POST", "/api/v1/contacts", { externalId: "fay", email: "fay@example.com", attributes: { plan: "FREE" } });
    const seg = await must(page, "POST", "/api/v1/segments", { name: "PRO", definition: { attribute: { key: "plan", op: "eq", value: "PRO" } } });
    for (let i = 0; i < 100; i++) {
      const s = await must(page, "GET", `/api/v1/segments/${seg.id}`);
      if (s.computedAt) {
        assert(s.memberCount === pro.length, `members ${s.memberCount}`);
        break;
      }
      await page.waitForTimeout(200);
    }
    const wf = await must(page, "POST", "/api/v1/workflows", {
      name: "PRO newsletter",
      definition: {
        nodes: [
          { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
          { id: "done", type: "end", config: {}, position: { x: 0, y: 160 } },
        ],
        edges: [{ id: "e1", source: "start", target: "done" }],
      },
    });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);

    // From the segment's page: the audience size before sending.
    await page.goto(`${base}/segments/view?id=${seg.id}`);
    await page.getByTestId("new-broadcast").click();
    const audience = page.getByTestId("broadcast-audience");
    await audience.waitFor();
    assert((await audience.innerText()).includes(`${pro.length} contacts`), `audience: ${await audience.innerText()}`);
    await page.getByTestId("broadcast-name").fill("Spring news");
    await page.getByTestId("broadcast-workflow").selectOption(wf.id);
    await page.getByTestId("broadcast-rate").fill("100");
    await shot(page, "segments-13-broadcast-create-1440");
    await page.getByTestId("broadcast-submit").click();
    await page.waitForURL(/\/broadcasts\/view\/?\?id=/, { timeout: 15_000 });
    await page.waitForFunction(
      (n) => {
        const el = document.querySelector('[data-testid="broadcast-progress"]');
        return el?.getAttribute("data-done") === String(n) && el?.getAttribute("data-total") === String(n);
      },
      pro.length,
      { timeout: 30_000 },
    );
    await page.locator('[data-testid="broadcast-status"][data-status="completed"]').waitFor({ timeout: 15_000 });
    assert((await page.getByTestId("broadcast-started").innerText()).includes(String(pro.length)), "started count");
    await shot(page, "segments-14-broadcast-done-1440");
    const execs = await must(page, "GET", `/api/v1/executions?workflowId=${wf.id}&limit=100`);
    assert((execs.items ?? []).length === pro.length, `executions ${(execs.items ?? []).length}`);

    // A scheduled one: pause, resume, cancel (asked first).
    await page.goto(`${base}/broadcasts`);
    await page.getByTestId("new-broadcast").first().click();
    await page.getByTestId("broadcast-name").fill("Tomorrow morning");
    await page.getByTestId("broadcast-segment").selectOption(seg.id);
    await page.getByTestId("broadcast-workflow").selectOption(wf.id);
    await page.getByTestId("broadcast-mode").selectOption("at");
    await page.getByTestId("broadcast-timezone").fill("Europe/Berlin");
    await page.getByTestId("broadcast-submit").click();
    await page.waitForURL(/\/broadcasts\/view\/?\?id=/, { timeout: 15_000 });
    await page.locator('[data-testid="broadcast-status"][data-status="scheduled"]').waitFor();
    await page.getByTestId("broadcast-pause").click();
    await page.locator('[data-testid="broadcast-status"][data-status="paused"]').waitFor();
    await page.getByTestId("broadcast-resume").click();
    await page.locator('[data-testid="broadcast-status"][data-status="scheduled"]').waitFor();
    await page.getByTestId("broadcast-cancel").click();
    await page.getByTestId("confirm-action").click();
    await page.locator('[data-testid="broadcast-status"][data-status="cancelled"]').waitFor();

    await page.goto(`${base}/broadcasts`);
    await page.getByTestId("broadcast-row").nth(1).waitFor();
    await shot(page, "segments-15-broadcasts-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByTestId("broadcasts-cards").waitFor();
    assert((await sideways(page)) <= 1, "broadcasts list scrolls sideways at 390 px");
    await shot(page, "segments-16-broadcasts-390");
    await page.getByTestId("broadcasts-cards").locator("a").last().click();
    await page.getByTestId("broadcast-progress").waitFor();
    assert((await sideways(page)) <= 1, "broadcast page scrolls sideways at 390 px");
    await shot(page, "segments-17-broadcast-390");
  });
}
