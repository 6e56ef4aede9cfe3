/** How a caller authenticates to a webhook trigger, as the server decides it. */
export type WebhookAuth = "none" | "signature" | "bearer";

/** The effective auth mode of a trigger.webhook config: explicit `auth`, else signature when a credential is set. */
export function webhookAuthMode(config: Record<string, unknown> | null | undefined): WebhookAuth {
  const c = config ?? {};
  const auth = typeof c.auth === "string" ? c.auth : "";
  const credential = typeof c.secretCredential === "string" ? c.secretCredential : "";
  if (auth === "none" || auth === "signature" || auth === "bearer") return auth;
  return credential ? "signature" : "none";
}

/** The public URL of a workflow's webhook trigger. */
export function webhookURL(origin: string, tenantId: string, workflowId: string): string {
  return `${origin}/webhooks/${tenantId}/${workflowId}`;
}

const sampleBody = '{"email": "ada@example.com", "plan": "pro"}';

/**
 * webhookCurl is a shell example that calls the webhook: signed with an
 * HMAC-SHA256 of the exact body when the trigger checks signatures, with a
 * bearer token when it checks bearer tokens. The secret is read from an
 * environment variable named after the credential, never written out.
 */
export function webhookCurl(url: string, config: Record<string, unknown> | null | undefined): string {
  const mode = webhookAuthMode(config);
  const credential = typeof (config ?? {}).secretCredential === "string" ? String(config?.secretCredential) : "";
  const envVar = `$${credential ? credential.toUpperCase() : "WEBHOOK_SECRET"}`;
  const lines: string[] = [];
  if (mode === "signature") {
    lines.push(
      `BODY='${sampleBody}'`,
      `SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "${envVar}" | sed 's/^.* //')`,
      `curl -X POST ${url} \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -H "X-NextFlow-Signature: sha256=$SIG" \\`,
      `  -d "$BODY"`,
    );
  } else {
    lines.push(`curl -X POST ${url} \\`, `  -H "Content-Type: application/json" \\`);
    if (mode === "bearer") lines.push(`  -H "Authorization: Bearer ${envVar}" \\`);
    lines.push(`  -d '${sampleBody}'`);
  }
  return lines.join("\n");
}

/** JSON string literal safe inside a single-quoted shell argument. */
function shellJSON(v: string): string {
  return JSON.stringify(v).replace(/'/g, "'\\''");
}

/** An example POST /api/v1/events call that starts workflows triggered by `eventName`. */
export function eventCurl(origin: string, eventName: string): string {
  const name = eventName.trim() || "user.signed_up";
  return [
    `curl -X POST ${origin}/api/v1/events \\`,
    `  -H "Authorization: Bearer $NEXTFLOW_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"name": ${shellJSON(name)},`,
    `       "contact": {"externalId": "user-42", "email": "ada@example.com"},`,
    `       "properties": {"plan": "pro"}}'`,
  ].join("\n");
}
