// Channels, templates and message history: connect an email channel and
// read the failed test in words, write a template and watch the preview
// follow the chosen contact, and open the contact's message history.
import { shot, signup } from "../lib.mjs";

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

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Registers the channel, template and message-history tests with run.mjs. */
export default function channelTests(test) {
  test("channels: connect email, field errors, failed test in words, edit keeps secrets", async ({ page, base }) => {
    await signup(page, base, `chan${Date.now()}`);
    await page.goto(`${base}/channels`);
    await page.getByText("No channels connected").waitFor();
    await page.getByRole("button", { name: "Connect channel" }).first().click();
    const dialog = page.getByRole("dialog");
    // The server's 422 lands on the field it names.
    await dialog.getByLabel(/^Name\*?$/).fill("Transactional email");
    await dialog.getByRole("button", { name: "Connect" }).click();
    await dialog.getByText("is required").first().waitFor();
    await shot(page, "channels-connect-error-1440");
    await dialog.getByLabel(/^SMTP host/).fill("127.0.0.1");
    await dialog.getByLabel(/^Port$/).fill("1");
    await dialog.getByLabel("User name").fill("mailer");
    await dialog.getByLabel(/^Default from address/).fill("hello@example.com");
    await dialog.getByLabel("Default from name").fill("Analytical Engines");
    await dialog.getByLabel(/^TLS$/).selectOption("opportunistic");
    await dialog.getByLabel("SMTP password").fill("s3cret-value");
    await dialog.getByRole("button", { name: "Connect" }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = page.getByTestId("channel-row");
    await row.getByText("Not tested").waitFor();
    await row.getByText("Analytical Engines <hello@example.com>").waitFor();
    // No SMTP server listens: the test fails, in words, on the page.
    await row.getByRole("button", { name: "Test connection" }).click();
    await row.getByText("Failing").waitFor({ timeout: 30_000 });
    const status = await page.getByTestId("channel-status").innerText();
    assert(/cannot connect to the SMTP server/.test(status) && !/s3cret-value/.test(status), `the failure is not in words: ${status}`);
    const html = await page.content();
    assert(!html.includes("s3cret-value"), "a secret is on the page");
    await shot(page, "channels-1440");
    // Editing shows the password as set, never its value, and keeps it.
    await row.getByRole("button", { name: "Edit Transactional email" }).click();
    const edit = page.getByRole("dialog");
    await edit.getByText("set", { exact: true }).waitFor();
    await edit.getByRole("button", { name: "Replace" }).waitFor();
    await edit.getByLabel("Default from name").fill("The Engines");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "hidden" });
    const list = await api(page, "GET", "/api/v1/channels");
    const items = Array.isArray(list.body) ? list.body : list.body.items;
    assert(items[0].config.fromName === "The Engines", `the edit was not saved: ${JSON.stringify(items[0].config)}`);
    assert(items[0].secretsSet.includes("password"), "the edit dropped the password");
    // A WhatsApp connection shows its inbound webhook URL and the verify-token hint.
    const wa = await api(page, "POST", "/api/v1/channels", {
      kind: "whatsapp",
      name: "Support WhatsApp",
      config: { phoneNumberId: "1234567890" },
      secrets: { accessToken: "wa-token-secret", appSecret: "wa-app-secret", verifyToken: "wa-verify" },
    });
    assert(wa.status < 300, `whatsapp: ${wa.status} ${JSON.stringify(wa.body)}`);
    await page.goto(`${base}/channels`);
    await page.getByTestId("channel-webhook-url").waitFor();
    await page.getByText("with the verify token you saved").waitFor();
    assert(!(await page.content()).includes("wa-token-secret"), "a WhatsApp secret is on the page");
    await shot(page, "channels-whatsapp-1440");
    await page.getByRole("button", { name: "Remove Support WhatsApp" }).click();
    await page.getByRole("button", { name: "Remove channel" }).click();
    await page.getByText("Support WhatsApp", { exact: true }).waitFor({ state: "detached" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/channels`);
    await page.getByTestId("channel-row").waitFor();
    await shot(page, "channels-390");
    // Removing asks first.
    await page.getByRole("button", { name: "Remove Transactional email" }).click();
    await page.getByRole("button", { name: "Remove channel" }).click();
    await page.getByText("No channels connected").waitFor();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test("channels: a template's preview follows the contact, Liquid errors name the line", async ({ page, base }) => {
    await signup(page, base, `tmpl${Date.now()}`);
    const c = await api(page, "POST", "/api/v1/contacts", { email: "grace@example.com", name: "Grace Hopper" });
    assert(c.status < 300, `contact: ${c.status} ${JSON.stringify(c.body)}`);
    await page.goto(`${base}/templates`);
    await page.getByText("No templates yet").waitFor();
    await page.getByRole("link", { name: "New template" }).first().click();
    await page.waitForURL(/\/templates\/edit/);
    await page.getByLabel(/^Name\*?$/).fill("Welcome email");
    await page.getByLabel(/^Subject/).fill("Welcome aboard, {{ contact.name }}!");
    await page.getByLabel(/^Contact$/).selectOption({ label: "Grace Hopper" });
    await page.getByTestId("preview-subject").filter({ hasText: "Welcome aboard, Grace Hopper!" }).waitFor();
    const frame = page.frameLocator('iframe[title="HTML preview"]');
    await frame.getByText("Hi Grace Hopper,").waitFor();
    assert((await page.locator('iframe[title="HTML preview"]').getAttribute("sandbox")) === "", "the preview iframe is not sandboxed");
    await page.getByTestId("preview-text").filter({ hasText: "Grace Hopper" }).waitFor();
    await shot(page, "template-editor-1440");
    // A Liquid error is shown on its field with its line.
    await page.getByLabel("HTML body").fill("<p>ok</p>\n<p>{% if contact.name %}</p>");
    await page.getByText(/Line 2/).first().waitFor();
    await shot(page, "template-editor-error-1440");
    await page.getByLabel("HTML body").fill("<p>Hello {{ contact.name }}</p>");
    await page.getByRole("button", { name: "Create template" }).click();
    await page.waitForURL(/\/templates\/edit\?id=/);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel(/^Subject/).waitFor();
    await shot(page, "template-editor-390");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${base}/templates`);
    await page.getByTestId("template-row").getByText("Welcome email").waitFor();
  });

  test("channels: the contact view shows the message history", async ({ page, base }) => {
    await signup(page, base, `hist${Date.now()}`);
    const c = await api(page, "POST", "/api/v1/contacts", { email: "ada@example.com", name: "Ada Byron" });
    assert(c.status < 300, `contact: ${c.status}`);
    await page.goto(`${base}/contacts/view?id=${c.body.id}`);
    const hist = page.getByTestId("message-history");
    await hist.getByText("Nothing sent yet").waitFor();
    await hist.scrollIntoViewIfNeeded();
    await shot(page, "contact-history-1440");
    await page.setViewportSize({ width: 390, height: 844 });
    await hist.scrollIntoViewIfNeeded();
    await shot(page, "contact-history-390");
    await page.setViewportSize({ width: 1280, height: 800 });
  });
}
