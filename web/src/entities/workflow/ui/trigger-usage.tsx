"use client";
import { useSyncExternalStore } from "react";
import { CodeBlock, CopyField } from "@/shared/ui";
import { eventCurl, webhookAuthMode, webhookCurl, webhookURL } from "../model/trigger-usage";

const noSubscribe = () => () => {};

function useOrigin(): string {
  return useSyncExternalStore(
    noSubscribe,
    () => window.location.origin,
    () => "",
  );
}

export interface TriggerUsageProps {
  type: string;
  config: Record<string, unknown>;
  tenantId?: string;
  workflowId?: string | null;
}

/** How to start a workflow from outside: the webhook's URL and a curl call, or an example event. Renders nothing for other steps. */
export function TriggerUsage({ type, config, tenantId, workflowId }: TriggerUsageProps) {
  const origin = useOrigin();
  if (type === "trigger.webhook") {
    if (!tenantId || !workflowId) return null;
    const url = webhookURL(origin, tenantId, workflowId);
    const mode = webhookAuthMode(config);
    return (
      <section className="space-y-2 rounded-md border border-slate-200 bg-slate-50/60 p-3" data-testid="webhook-usage">
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">How to call it</h3>
        <CopyField label="Webhook URL" value={url} testId="webhook-url" />
        <p className="text-xs leading-5 text-slate-600">
          {mode === "signature" &&
            "Callers sign the raw body with the secret credential (HMAC-SHA256) and send it as X-NextFlow-Signature. Unsigned calls are refused."}
          {mode === "bearer" && "Callers send the secret credential as a bearer token. Calls without it are refused."}
          {mode === "none" && "Anyone with this URL can start the workflow. Set a secret credential to require a signature."}
          {" "}It starts the published version while the workflow is active; the JSON body becomes <code className="font-mono">trigger.body</code>.
        </p>
        <CodeBlock label="curl example" code={webhookCurl(url, config)} testId="webhook-curl" />
      </section>
    );
  }
  if (type === "trigger.event") {
    const name = typeof config.event === "string" ? config.event : "";
    return (
      <section className="space-y-2 rounded-md border border-slate-200 bg-slate-50/60 p-3" data-testid="event-usage">
        <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Send a matching event</h3>
        <p className="text-xs leading-5 text-slate-600">
          {name ? (
            <>
              An event named <code className="font-mono">{name}</code> sent with a workspace API key starts this workflow for that contact.
            </>
          ) : (
            "Set the event name above; any event with that name starts this workflow for its contact."
          )}
        </p>
        <CodeBlock label="event example" code={eventCurl(origin, name)} testId="event-curl" />
      </section>
    );
  }
  return null;
}
