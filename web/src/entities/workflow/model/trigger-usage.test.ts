import { describe, expect, it } from "vitest";
import { eventCurl, webhookAuthMode, webhookCurl, webhookURL } from "./trigger-usage";

describe("trigger usage", () => {
  const url = webhookURL("https://nf.example.com", "t1", "w1");

  it("builds the webhook URL", () => {
    expect(url).toBe("https://nf.example.com/webhooks/t1/w1");
  });

  it("follows the server's auth mode rules", () => {
    expect(webhookAuthMode({})).toBe("none");
    expect(webhookAuthMode({ secretCredential: "HOOK" })).toBe("signature");
    expect(webhookAuthMode({ secretCredential: "HOOK", auth: "bearer" })).toBe("bearer");
    expect(webhookAuthMode({ auth: "none", secretCredential: "HOOK" })).toBe("none");
  });

  it("signs the body when a secret credential is set", () => {
    const c = webhookCurl(url, { secretCredential: "shop_hook" });
    expect(c).toContain("openssl dgst -sha256 -hmac \"$SHOP_HOOK\"");
    expect(c).toContain('X-NextFlow-Signature: sha256=$SIG');
    expect(c).toContain(`curl -X POST ${url}`);
  });

  it("sends a bearer token in bearer mode and nothing without auth", () => {
    expect(webhookCurl(url, { secretCredential: "K", auth: "bearer" })).toContain('Authorization: Bearer $K');
    const open = webhookCurl(url, {});
    expect(open).not.toContain("Authorization");
    expect(open).not.toContain("Signature");
  });

  it("fills the event name, quoted for the shell", () => {
    expect(eventCurl("https://x", "order.paid")).toContain(`'{"name": "order.paid",`);
    expect(eventCurl("https://x", "it's")).toContain(`"it'\\''s"`);
    expect(eventCurl("https://x", "")).toContain("user.signed_up");
  });
});
