import Link from "next/link";
import type { Metadata } from "next";

export const metadata: Metadata = { title: "Page not found" };

export default function NotFound() {
  return (
    <main className="grid min-h-dvh place-items-center p-6 text-center" data-testid="not-found">
      <div className="max-w-sm">
        <p className="text-sm font-semibold text-brand-600">404</p>
        <h1 className="mt-1 text-xl font-semibold text-slate-900">This page does not exist</h1>
        <p className="mt-2 text-sm text-slate-500">The address may be mistyped or out of date. Records are opened from their lists, so start from there.</p>
        <div className="mt-5 flex flex-wrap justify-center gap-3 text-sm font-medium">
          <Link href="/workflows" className="rounded-md bg-brand-600 px-3 py-1.5 text-white hover:bg-brand-700">
            Go to workflows
          </Link>
          <Link href="/executions" className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-slate-700 hover:bg-slate-50">
            Executions
          </Link>
        </div>
      </div>
    </main>
  );
}
