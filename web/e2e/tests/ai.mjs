// AI: the settings page saves a provider with a write-only key and shows
// this month's usage by model against the budget; "Draft with AI" on the
// workflows page previews a validated draft (from a local server speaking
// OpenAI chat completions) and opens it in the builder, unpublished.
// The server must allow loopback calls: run.mjs starts it with
// NEXTFLOW_HTTP_ALLOW=127.0.0.1 and NEXTFLOW_HTTP_PORTS=any.
import http from "node:http";
import { shot, signup } from "../lib.mjs";

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const draft = {
  explanation: "Classifies each inbound WhatsApp message and routes questions, complaints and unsubscribes to their own branch.",
  definition: {
    nodes: [
      { id: "start", type: "trigger.event", label: "WhatsApp message", config: { event: "whatsapp.message_received" }, position: { x: 0, y: 0 } },
      { id: "route", type: "ai.classify", label: "Triage", config: { input: "{{ trigger.event.properties.text }}", labels: ["question", "complaint", "unsubscribe"] }, position: { x: 0, y: 150 } },
      { id: "done", type: "end", config: {}, position: { x: 0, y: 300 } },
    ],
    edges: [
      { id: "e1", source: "start", target: "route" },
      { id: "e2", source: "route", sourceHandle: "question", target: "done" },
      { id: "e3", source: "route", sourceHandle: "complaint", target: "done" },
      { id: "e4", source: "route", sourceHandle: "unsubscribe", target: "done" },
      { id: "e5", source: "route", sourceHandle: "other", target: "done" },
    ],
  },
};

/** Starts a local OpenAI-compatible server answering every chat completion with content (the draft by default). */
function fakeOpenAI(content = JSON.stringify(draft)) {
  let calls = 0;
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      calls++;
      const ok = req.url === "/v1/chat/completions" && req.headers.authorization === "Bearer sk-e2e";
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      const model = ok ? JSON.parse(body).model : "";
      res.end(
        JSON.stringify(
          ok
            ? {
                id: "chatcmpl-e2e", object: "chat.completion", created: 1, model,
                choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" }],
                usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 },
              }
            : { error: { message: "bad key", type: "invalid_request_error", code: "invalid_api_key" } },
        ),
      );
    });
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve({ srv, url: `http://127.0.0.1:${srv.address().port}/v1`, calls: () => calls })));
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

/** Registers the AI tests with run.mjs. */
export default function aiTests(test) {
  test("ai: settings with a write-only key, usage against the budget, and a journey drafted with AI", async ({ page, base }) => {
    const fake = await fakeOpenAI();
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      await signup(page, base, `ai${Date.now()}`);
      await page.goto(`${base}/settings/ai`);
      await page.getByTestId("ai-settings-form").waitFor();
      await page.getByTestId("ai-provider").selectOption("openai");
      await page.getByTestId("ai-model").fill("gpt-4o-mini");
      await page.getByTestId("ai-base-url").fill(fake.url);
      await page.getByTestId("ai-api-key").fill("sk-e2e");
      await page.getByTestId("ai-budget").fill("100000");
      await page.getByTestId("ai-redact-pii").click();
      await page.getByTestId("ai-save").click();
      await page.getByText("AI settings saved").waitFor();
      const key = page.getByTestId("ai-api-key");
      assert((await key.inputValue()) === "", "the key is not shown back");
      assert((await key.getAttribute("placeholder"))?.includes("stored"), "a key is stored");

      // Draft a journey: the preview shows the validated steps; accepting opens the builder.
      await page.goto(`${base}/workflows`);
      await page.getByTestId("open-ai-draft").click();
      await page.getByTestId("ai-draft-prompt").fill("When a WhatsApp message comes in, classify it as question, complaint or unsubscribe and route each.");
      await page.getByTestId("ai-draft-submit").click();
      const preview = page.getByTestId("ai-draft-preview");
      await preview.waitFor();
      assert((await preview.innerText()).includes("Triage"), `preview: ${await preview.innerText()}`);
      assert(fake.calls() === 1, `one provider call, got ${fake.calls()}`);
      await page.getByTestId("ai-draft-name").fill("WhatsApp triage");
      await shot(page, "ai-01-draft-preview-1440");
      await page.getByTestId("ai-draft-accept").click();
      await page.waitForURL(/\/workflows\/edit\?id=/);
      await page.getByText("Triage").first().waitFor();
      await shot(page, "ai-02-draft-in-builder-1440");

      // The usage shows the draft's tokens against the budget.
      await page.goto(`${base}/settings/ai`);
      const used = page.getByTestId("ai-tokens-used");
      await used.waitFor();
      assert((await used.innerText()).includes("1,500"), `tokens used: ${await used.innerText()}`);
      await page.getByTestId("ai-usage-row").first().waitFor();
      await shot(page, "ai-03-settings-1440");
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId("ai-usage").scrollIntoViewIfNeeded();
      await shot(page, "ai-04-settings-390");
      await page.goto(`${base}/workflows`);
      await page.getByTestId("open-ai-draft").click();
      await page.getByTestId("ai-draft-prompt").fill("A welcome email when someone signs up.");
      await page.getByTestId("ai-draft-submit").click();
      await preview.waitFor();
      await shot(page, "ai-05-draft-390");
    } finally {
      fake.srv.close();
    }
  });
  test("ai: an AI step's prompt and response in the execution view, personal data redacted", async ({ page, base }) => {
    const fake = await fakeOpenAI("Thank you, Ada! Your order is on its way.");
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      await signup(page, base, `aistep${Date.now()}`);
      let r = await api(page, "PUT", "/api/v1/ai/settings", {
        provider: "openai", model: "gpt-4o-mini", baseUrl: fake.url, apiKey: "sk-e2e", monthlyTokenBudget: 100000, redactPii: true,
      });
      assert(r.status === 200, `settings: ${r.status} ${JSON.stringify(r.body)}`);
      const definition = {
        nodes: [
          { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
          { id: "thanks", type: "ai.generate", label: "Thank-you note", config: { prompt: "Write a thank-you note to {{ trigger.input.name }} ({{ trigger.input.email }})." }, position: { x: 0, y: 150 } },
          { id: "done", type: "end", config: {}, position: { x: 0, y: 300 } },
        ],
        edges: [
          { id: "e1", source: "start", target: "thanks" },
          { id: "e2", source: "thanks", target: "done" },
        ],
      };
      r = await api(page, "POST", "/api/v1/workflows", { name: "AI thank-you", definition });
      assert(r.status === 201, `create: ${r.status} ${JSON.stringify(r.body)}`);
      const id = r.body.id;
      r = await api(page, "POST", `/api/v1/workflows/${id}/publish`);
      assert(r.status === 200, `publish: ${r.status} ${JSON.stringify(r.body)}`);
      r = await api(page, "POST", `/api/v1/workflows/${id}/executions`, { input: { name: "Ada", email: "ada@example.com" } });
      assert(r.status === 201 || r.status === 202 || r.status === 200, `start: ${r.status} ${JSON.stringify(r.body)}`);
      await page.goto(`${base}/executions/view?id=${r.body.id}`);
      await page.waitForFunction(() => document.querySelector('[data-testid="execution-status"]')?.getAttribute("data-status") === "COMPLETED", null, {
        timeout: 30_000,
      });
      const step = page.getByTestId("step-thanks");
      await step.getByRole("button").first().click();
      await step.getByText("Thank you, Ada! Your order is on its way.").first().waitFor();
      const text = await step.innerText();
      assert(text.includes("thank-you note to Ada"), `the prompt is not shown: ${text}`);
      assert(!text.includes("ada@example.com"), `the email is shown: ${text}`);
      assert(text.includes("[redacted]"), `nothing redacted: ${text}`);
      assert(fake.calls() === 1, `one provider call, got ${fake.calls()}`);
      await shot(page, "ai-06-execution-step-1440");
    } finally {
      fake.srv.close();
    }
  });
}
