import Link from "next/link";

export default function NotFound() {
  return (
    <main className="grid min-h-screen place-items-center p-6 text-center">
      <div>
        <p className="text-sm font-semibold text-brand-600">404</p>
        <h1 className="mt-1 text-xl font-semibold text-slate-900">This page does not exist</h1>
        <p className="mt-1 text-sm text-slate-500">The link may be old, or the record was deleted.</p>
        <Link href="/workflows" className="mt-4 inline-block text-sm font-medium text-brand-600 hover:underline">
          Go to workflows
        </Link>
      </div>
    </main>
  );
}
