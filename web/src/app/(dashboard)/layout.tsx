"use client";
import { useEffect, useState, type ReactNode } from "react";
import { usePathname, useRouter } from "next/navigation";
import { Monitor, WifiOff } from "lucide-react";
import { useMe } from "@/entities/session";
import { useLiveUpdates } from "@/features/live-updates";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";
import { ErrorState, Spinner } from "@/shared/ui";
import { Header } from "@/widgets/header";
import { Sidebar } from "@/widgets/sidebar";

export default function DashboardLayout({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const [menuOpen, setMenuOpen] = useState(false);
  const unauthenticated = isApiError(me.error) && me.error.status === 401;
  useEffect(() => {
    if (unauthenticated) {
      const next = `${window.location.pathname}${window.location.search}`;
      router.replace(`${routes.login}?next=${encodeURIComponent(next)}`);
    }
  }, [unauthenticated, router]);
  useEffect(() => {
    if (!menuOpen) return;
    const esc = (e: KeyboardEvent) => e.key === "Escape" && setMenuOpen(false);
    document.addEventListener("keydown", esc);
    return () => document.removeEventListener("keydown", esc);
  }, [menuOpen]);
  const live = useLiveUpdates(!!me.data);

  if (me.isPending || unauthenticated) {
    return (
      <div className="grid h-dvh place-items-center">
        <Spinner label="Loading your workspace" />
      </div>
    );
  }
  if (me.isError && !me.data) {
    return (
      <div className="grid h-dvh place-items-center">
        <ErrorState error={errorMessage(me.error)} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  const fullBleed = pathname.startsWith("/workflows/edit");
  return (
    <div className="flex h-dvh overflow-hidden">
      {/* Wide screens: the sidebar sits beside the page. */}
      <Sidebar compact={fullBleed} className="hidden lg:flex" />
      {/* Small screens: the same navigation slides in from the menu button. */}
      {menuOpen && (
        <div className="fixed inset-0 z-40 lg:hidden" data-testid="mobile-nav">
          <button type="button" aria-label="Close menu" className="absolute inset-0 bg-slate-900/40" onClick={() => setMenuOpen(false)} />
          <Sidebar className="relative z-10 w-64 shadow-xl" onNavigate={() => setMenuOpen(false)} />
        </div>
      )}
      <div className="flex min-w-0 flex-1 flex-col">
        <Header live={live} onMenu={() => setMenuOpen((o) => !o)} menuOpen={menuOpen} />
        {live === "reconnecting" && (
          <div role="status" data-testid="offline-banner" className="flex items-center gap-2 border-b border-amber-200 bg-amber-50 px-4 py-1.5 text-xs text-amber-900">
            <WifiOff className="size-3.5 shrink-0" aria-hidden />
            The server cannot be reached. You are seeing what was last loaded; it refreshes by itself when the connection is back.
          </div>
        )}
        {fullBleed && (
          <div className="flex items-center gap-2 border-b border-sky-200 bg-sky-50 px-4 py-1.5 text-xs text-sky-900 md:hidden" data-testid="small-screen-note">
            <Monitor className="size-3.5 shrink-0" aria-hidden />
            The builder works best on a larger screen. You can look around and make small edits here.
          </div>
        )}
        <main className={cn("min-h-0 flex-1", !fullBleed && "overflow-y-auto")}>
          {fullBleed ? children : <div className="mx-auto max-w-7xl px-3 py-4 sm:px-6 sm:py-6">{children}</div>}
        </main>
      </div>
    </div>
  );
}
