// Helpers shared by the end-to-end tests: run.mjs and every file under
// tests/ import them from here.
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const webRoot = path.resolve(here, "..");

/** Where screenshots go (E2E_SCREENSHOTS, default web/e2e-artifacts/screenshots). */
export const shots = path.resolve(process.env.E2E_SCREENSHOTS || path.join(webRoot, "e2e-artifacts", "screenshots"));

export async function shot(page, name) {
  await page.waitForTimeout(250);
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

export async function center(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`no box for ${locator}`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a palette item onto the canvas at (dx, dy) from the canvas' top-left corner. */
export async function dropNode(page, type, dx, dy) {
  const canvas = page.getByTestId("canvas");
  await page.getByTestId(`palette-item-${type}`).dragTo(canvas, { targetPosition: { x: dx, y: dy } });
}

/** Connects an output handle to a node's input handle with the mouse, like a user. */
export async function connect(page, sourceNode, handle, targetNode) {
  const from = await center(page.getByTestId(`handle-${sourceNode}-${handle}`));
  const to = await center(page.getByTestId(`handle-${targetNode}-in`));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

export async function waitSaved(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="save-status"]');
    return el && (el.getAttribute("data-status") === "saved" || el.getAttribute("data-status") === "idle");
  }, null, { timeout: 15_000 });
}

export async function signup(page, base, suffix) {
  await page.goto(`${base}/signup`);
  await page.getByTestId("signup-name").fill("Ada Lovelace");
  await page.getByTestId("signup-email").fill(`ada+${suffix}@example.com`);
  await page.getByTestId("signup-password").fill("correct-horse-battery");
  await page.getByTestId("signup-workspace").fill(`Analytical Engines ${suffix}`);
  await page.getByTestId("signup-submit").click();
  await page.waitForURL(/\/workflows\/?$/, { timeout: 20_000 });
}

export async function newWorkflow(page, name) {
  await page.getByTestId("new-workflow").first().click();
  await page.getByTestId("create-workflow-name").fill(name);
  await page.getByTestId("create-workflow-submit").click();
  await page.waitForURL(/\/workflows\/edit\/?\?id=/, { timeout: 20_000 });
  await page.getByTestId("palette-item-trigger.manual").waitFor();
}

