import type { CredentialKind } from "@/shared/api";

/** The kinds of credential, with the label the dashboard shows for each. */
export const credentialKinds: { value: CredentialKind; label: string }[] = [
  { value: "http_header", label: "HTTP header (API key, bearer token)" },
  { value: "webhook_secret", label: "Webhook secret" },
  { value: "generic", label: "Other" },
];
