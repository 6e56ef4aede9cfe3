import type { ReactNode } from "react";
import { Workflow } from "lucide-react";

/** The frame of the sign-in pages: logo, a card, and a line under it. */
export function AuthShell({ title, subtitle, children, footer }: { title: string; subtitle?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-slate-50 px-4 py-12">
      <div className="mb-6 flex items-center gap-2 text-slate-900">
        <span className="grid size-8 place-items-center rounded-lg bg-brand-600 text-white">
          <Workflow className="size-4.5" aria-hidden />
        </span>
        <span className="text-lg font-semibold tracking-tight">NextFlow</span>
      </div>
      <div className="w-full max-w-sm rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-base font-semibold text-slate-900">{title}</h1>
        {subtitle && <p className="mt-1 text-sm text-slate-500">{subtitle}</p>}
        <div className="mt-5">{children}</div>
      </div>
      {footer && <div className="mt-4 text-sm text-slate-500">{footer}</div>}
    </main>
  );
}
