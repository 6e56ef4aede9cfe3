"use client";
import { useState, useSyncExternalStore } from "react";
import { Check, Copy } from "lucide-react";

const noSubscribe = () => () => {};

/** The dashboard's own origin: the URL your servers send events to. */
function useOrigin(): string {
  return useSyncExternalStore(
    noSubscribe,
    () => window.location.origin,
    () => "https://nextflow.example.com",
  );
}

/** The curl call that sends a first event to this workspace (API key in $NEXTFLOW_API_KEY). */
export function firstEventCurl(origin: string): string {
  return [
    `curl -X POST ${origin}/api/v1/events \\`,
    `  -H "Authorization: Bearer $NEXTFLOW_API_KEY" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"name": "user.signed_up",`,
    `       "contact": {"externalId": "user-42", "email": "ada@example.com"},`,
    `       "properties": {"plan": "pro"}}'`,
  ].join("\n");
}

/** A copyable curl example that sends the first event to this server. */
export function SendFirstEvent() {
  const origin = useOrigin();
  const [copied, setCopied] = useState(false);
  const text = firstEventCurl(origin);
  return (
    <div className="relative w-full max-w-2xl text-left" data-testid="first-event-snippet">
      <pre className="rounded-md whitespace-pre-wrap break-all bg-slate-900 px-3 py-2.5 pr-16 font-mono text-[11px] leading-5 text-slate-100">{text}</pre>
      <button
        type="button"
        onClick={() =>
          void navigator.clipboard?.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          })
        }
        className="absolute top-2 right-2 inline-flex items-center gap-1 rounded bg-slate-700 px-1.5 py-0.5 text-[11px] font-medium text-slate-100 hover:bg-slate-600"
      >
        {copied ? <Check className="size-3" aria-hidden /> : <Copy className="size-3" aria-hidden />}
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
