// The builder as a daily tool: "+" inserts, the step picker on a dropped
// connection, copy/paste/duplicate, tidy up, draft vs live with the diff
// view, and the condition builder's round trip.
import { center, dropNode, newWorkflow, shot, signup, waitSaved } from "../lib.mjs";

/** Calls the API from the page (with the session cookie); throws on a non-2xx answer unless `ok` says otherwise. */
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

const edgePairs = async (page, id) => {
  const wf = await must(page, "GET", `/api/v1/workflows/${id}`);
  return wf.definition.edges.map((e) => `${e.source}:${e.sourceHandle || "out"}>${e.target}`).sort();
};

async function boxes(page) {
  return page.locator(".react-flow__node").evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { id: el.getAttribute("data-id"), x: r.x, y: r.y, w: r.width, h: r.height };
    }),
  );
}

/** Registers the builder tests with run.mjs. */
export default function builderTests(test) {
  test("builder: + inserts steps, a dropped connection opens the picker, copy/paste/duplicate and tidy up", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, "faster");
    await newWorkflow(page, "Building faster");
    const id = new URL(page.url()).searchParams.get("id");
    await dropNode(page, "trigger.manual", 420, 70);
    await page.getByTestId("node-trigger_manual").waitFor();

    // "+" under an open output adds a connected step.
    await page.getByTestId("add-after-trigger_manual-out").click();
    await page.getByTestId("node-picker").waitFor();
    await shot(page, "builder-01-picker");
    await page.getByTestId("node-picker-search").fill("condi");
    await page.keyboard.press("Enter");
    await page.getByTestId("node-condition").waitFor();
    await page.getByTestId("add-after-condition-true").click();
    await page.getByTestId("node-picker-item-delay").click();
    await page.getByTestId("add-after-condition-false").click();
    await page.getByTestId("node-picker-item-end").click();
    await page.getByTestId("node-end").waitFor();
    await waitSaved(page);
    let pairs = await edgePairs(page, id);
    if (pairs.join() !== ["condition:false>end", "condition:true>delay", "trigger_manual:out>condition"].join()) throw new Error(`after + inserts: ${pairs}`);

    // "+" on an edge splices a step in.
    const wf = await must(page, "GET", `/api/v1/workflows/${id}`);
    const edge = wf.definition.edges.find((e) => e.source === "condition" && e.sourceHandle === "true");
    // dispatchEvent, not a pointer click: the edge is short here and its "+"
    // sits under the handle's own "+", which would take a pointer click.
    await page.getByTestId(`add-on-${edge.id}`).dispatchEvent("click");
    await page.getByTestId("node-picker-item-set_attribute").click();
    await page.getByTestId("node-set_attribute").waitFor();

    // A connection dropped on empty canvas opens the picker there and connects the choice.
    const from = await center(page.getByTestId("handle-delay-out"));
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 60, from.y + 80, { steps: 6 });
    await page.mouse.move(from.x + 120, from.y + 150, { steps: 6 });
    await page.mouse.up();
    await page.getByTestId("node-picker").waitFor();
    await page.getByTestId("node-picker-item-end").click();
    await page.getByTestId("node-end_2").waitFor();
    await waitSaved(page);
    pairs = await edgePairs(page, id);
    for (const want of ["condition:true>set_attribute", "set_attribute:out>delay", "delay:out>end_2"]) {
      if (!pairs.includes(want)) throw new Error(`missing ${want} in ${pairs}`);
    }
    if (pairs.includes("condition:true>delay")) throw new Error("the spliced edge is still there");
    await page.keyboard.press("Escape");
    await shot(page, "builder-02-plus-insert");

    // Copy one step and paste it where the pointer is; duplicate two with their inner edge.
    await page.getByTestId("node-delay").click();
    await page.keyboard.press("Control+c");
    const canvas = await page.getByTestId("canvas").boundingBox();
    await page.mouse.move(canvas.x + canvas.width - 300, canvas.y + 120);
    await page.keyboard.press("Control+v");
    await page.getByTestId("node-delay_2").waitFor();
    await page.getByTestId("node-set_attribute").click();
    await page.getByTestId("node-delay").click({ modifiers: ["Shift"] });
    await page.keyboard.press("Control+d");
    await page.getByTestId("node-set_attribute_2").waitFor();
    await page.getByTestId("node-delay_3").waitFor();
    await waitSaved(page);
    pairs = await edgePairs(page, id);
    if (!pairs.includes("set_attribute_2:out>delay_3")) throw new Error(`the duplicate lost its inner edge: ${pairs}`);
    await shot(page, "builder-03-copy-paste");

    // Tidy up: no two steps overlap afterwards, and Ctrl+Z puts them back.
    const before = await must(page, "GET", `/api/v1/workflows/${id}`);
    await page.getByTestId("tidy-up").click();
    await page.waitForTimeout(600);
    const bs = await boxes(page);
    for (const a of bs)
      for (const b of bs)
        if (a.id < b.id && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) throw new Error(`${a.id} overlaps ${b.id} after tidy up`);
    await waitSaved(page);
    await shot(page, "builder-04-tidy-up");
    const tidy = await must(page, "GET", `/api/v1/workflows/${id}`);
    const pos = (def, n) => JSON.stringify(def.definition.nodes.find((x) => x.id === n).position);
    if (pos(tidy, "end_2") === pos(before, "end_2")) throw new Error("tidy up moved nothing");
    await page.getByTestId("undo").click();
    await waitSaved(page);
    const undone = await must(page, "GET", `/api/v1/workflows/${id}`);
    if (pos(undone, "end_2") !== pos(before, "end_2")) throw new Error("undo did not put the layout back");

    // The minimap stays inside its frame and inside the canvas.
    const mm = await page.locator(".react-flow__minimap").boundingBox();
    const svg = await page.locator(".react-flow__minimap svg").boundingBox();
    if (svg.width > mm.width + 1 || svg.height > mm.height + 1) throw new Error(`minimap svg ${svg.width}x${svg.height} overflows its ${mm.width}x${mm.height} frame`);
    if (mm.x + mm.width > canvas.x + canvas.width + 1 || mm.y + mm.height > canvas.y + canvas.height + 1) throw new Error("minimap outside the canvas");
  });

  test("builder: a diff after editing a published journey, and no identical version", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, "diff");
    const def = {
      nodes: [
        { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
        { id: "wait", type: "delay", config: { duration: "1h" }, position: { x: 0, y: 140 } },
        { id: "vip", type: "condition", label: "Big order?", config: { expression: "trigger.input.amount > 100" }, position: { x: 0, y: 280 } },
        { id: "tag", type: "set_attribute", config: { attributes: { tier: "'gold'" } }, position: { x: -160, y: 420 } },
        { id: "done", type: "end", config: {}, position: { x: 160, y: 420 } },
      ],
      edges: [
        { id: "e1", source: "start", target: "wait" },
        { id: "e2", source: "wait", target: "vip" },
        { id: "e3", source: "vip", sourceHandle: "true", target: "tag" },
        { id: "e4", source: "vip", sourceHandle: "false", target: "done" },
      ],
    };
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "Order follow-up", definition: def });
    await must(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    const again = await api(page, "POST", `/api/v1/workflows/${wf.id}/publish`);
    if (again.status !== 409 || !/nothing to publish/.test(again.body.detail)) throw new Error(`an unchanged publish answered ${again.status} ${JSON.stringify(again.body)}`);

    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.waitForSelector('[data-testid="publish-state"][data-state="live"]');
    if (!(await page.getByTestId("publish").isDisabled())) throw new Error("Publish is offered for a draft that is the live version");

    // Moving a step is not a change.
    const n = await center(page.getByTestId("node-done"));
    await page.mouse.move(n.x, n.y);
    await page.mouse.down();
    await page.mouse.move(n.x + 80, n.y + 30, { steps: 6 });
    await page.mouse.up();
    await waitSaved(page);
    await page.waitForTimeout(500);
    if ((await page.getByTestId("publish-state").getAttribute("data-state")) !== "live") throw new Error("a move counted as a change");

    // Change a setting, remove a step, add one.
    await page.getByTestId("node-wait").click();
    await page.getByTestId("field-duration").fill("2h");
    await page.keyboard.press("Escape");
    await page.getByTestId("node-tag").click();
    await page.getByTestId("delete-node").click();
    await page.getByTestId("add-after-vip-true").click();
    await page.getByTestId("node-picker-item-end").click();
    await page.getByTestId("node-end").waitFor();
    await page.keyboard.press("Escape");
    await waitSaved(page);
    await page.waitForSelector('[data-testid="publish-state"][data-state="changed"]', { timeout: 15_000 });
    await page.getByTestId("publish-state").click();
    await page.getByTestId("diff-panel").waitFor();
    for (const t of ["diff-changed-wait", "diff-removed-tag", "diff-added-end", "diff-badge-wait", "diff-badge-tag", "diff-badge-end"]) await page.getByTestId(t).waitFor();
    if ((await page.getByTestId("diff-badge-done").count()) !== 0) throw new Error("the moved step is marked as changed");
    const field = await page.getByTestId("diff-field").first().innerText();
    if (!field.includes('"1h"') || !field.includes('"2h"')) throw new Error(`the changed setting shows ${field}`);
    await shot(page, "builder-05-diff");

    // Publish, then compare the draft with the first version.
    await page.getByTestId("diff-close").click();
    await page.getByTestId("publish").click();
    await page.getByText("Published version 2.").waitFor({ timeout: 15_000 });
    await page.waitForSelector('[data-testid="publish-state"][data-state="live"]', { timeout: 15_000 });
    await page.getByTestId("compare").click();
    await page.getByTestId("diff-none").waitFor();
    await page.getByTestId("diff-base").selectOption("1");
    await page.getByTestId("diff-removed-tag").waitFor();
    await shot(page, "builder-06-diff-v1");
  });

  test("builder: the condition builder writes CEL and reads it back", async ({ page, base }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await signup(page, base, "cond");
    const def = {
      nodes: [
        { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
        { id: "vip", type: "condition", label: "VIP?", config: { expression: 'contact.attributes.plan == "pro" && trigger.input.amount > 100' }, position: { x: 0, y: 150 } },
        { id: "yes", type: "end", config: {}, position: { x: -160, y: 300 } },
        { id: "no", type: "end", config: {}, position: { x: 160, y: 300 } },
      ],
      edges: [
        { id: "e1", source: "start", target: "vip" },
        { id: "e2", source: "vip", sourceHandle: "true", target: "yes" },
        { id: "e3", source: "vip", sourceHandle: "false", target: "no" },
      ],
    };
    const wf = await must(page, "POST", "/api/v1/workflows", { name: "VIP routing", definition: def });
    await page.goto(`${base}/workflows/edit?id=${wf.id}`);
    await page.getByTestId("node-vip").click();
    await page.getByTestId("field-expression-builder").waitFor();
    const val = (t) => page.getByTestId(t).inputValue();
    if ((await val("cond-g-0-field")) !== "contact.attributes.plan" || (await val("cond-g-0-value")) !== "pro") throw new Error("the CEL was not read into the builder");
    if ((await val("cond-g-1-op")) !== ">" || (await val("cond-g-1-value")) !== "100") throw new Error("the second rule was not read");

    // Edit in the form: one of two plans, in a group, and a text rule.
    await page.getByTestId("cond-g-0-op").selectOption("in");
    await page.getByTestId("cond-g-0-value").fill("pro, team");
    await page.getByTestId("cond-g-add-group").click();
    await page.getByTestId("cond-g-2-0-field").fill("contact.email");
    await page.getByTestId("cond-g-2-0-op").selectOption("endsWith");
    await page.getByTestId("cond-g-2-0-value").fill("@acme.com");
    await page.getByTestId("cond-g-2-add-rule").click();
    await page.getByTestId("cond-g-2-1-field").fill("contact.attributes.vip");
    await page.getByTestId("cond-g-2-1-op").selectOption("has");
    const want = 'contact.attributes.plan in ["pro", "team"] && trigger.input.amount > 100 && (contact.email.endsWith("@acme.com") || has(contact.attributes.vip))';
    if ((await val("field-expression")) !== want) throw new Error(`the builder wrote ${await val("field-expression")}`);
    await waitSaved(page);
    const saved = await must(page, "GET", `/api/v1/workflows/${wf.id}`);
    if (saved.definition.nodes.find((x) => x.id === "vip").config.expression !== want) throw new Error("the CEL was not saved");
    await page.getByTestId("problems-none").waitFor({ timeout: 15_000 }).catch(() => {});
    await shot(page, "builder-07-condition");

    // Reopen: the saved CEL reads back into the same form.
    await page.reload();
    await page.getByTestId("node-vip").click();
    await page.getByTestId("cond-g-2-1-op").waitFor();
    if ((await val("cond-g-2-0-value")) !== "@acme.com" || (await val("cond-g-0-value")) !== "pro, team") throw new Error("the round trip lost a value");

    // An expression too complex for the form says so and stays an expression.
    await page.getByTestId("field-expression").fill("size(contact.attributes.tags) > 2");
    await page.getByTestId("field-expression-too-complex").waitFor();
    await shot(page, "builder-08-condition-complex");
    await page.getByTestId("field-expression").fill('contact.locale == "de"');
    await page.getByTestId("cond-g-0-field").waitFor();
    if ((await val("cond-g-0-value")) !== "de") throw new Error("a simple expression did not come back to the form");
  });
}
