"use client";
import { useState } from "react";
import { Check, Copy } from "lucide-react";

/** A dark, wrapped code sample with a copy button (shell commands, JSON). */
export function CodeBlock({ code, label, testId }: { code: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="relative" data-testid={testId}>
      <pre aria-label={label} className="rounded-md bg-slate-900 px-3 py-2.5 pr-16 font-mono text-[11px] leading-5 break-all whitespace-pre-wrap text-slate-100">
        {code}
      </pre>
      <button
        type="button"
        aria-label={`Copy ${label}`}
        onClick={() =>
          void navigator.clipboard?.writeText(code).then(() => {
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
