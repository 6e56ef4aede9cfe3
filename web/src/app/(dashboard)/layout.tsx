"use client";
import { useEffect, type ReactNode } from "react";
import { usePathname, useRouter } from "next/navigation";
import { useMe } from "@/entities/session";
import { useLiveUpdates } from "@/features/live-updates";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { ErrorState, Spinner } from "@/shared/ui";
import { Header } from "@/widgets/header";
import { Sidebar } from "@/widgets/sidebar";

export default function DashboardLayout({ children }: { children: ReactNode }) {
  const me = useMe();
  const router = useRouter();
  const pathname = usePathname();
  const unauthenticated = isApiError(me.error) && me.error.status === 401;
  useEffect(() => {
    if (unauthenticated) {
      const next = `${window.location.pathname}${window.location.search}`;
      router.replace(`${routes.login}?next=${encodeURIComponent(next)}`);
    }
  }, [unauthenticated, router]);
  const live = useLiveUpdates(!!me.data);

  if (me.isPending || unauthenticated) {
    return (
      <div className="grid h-screen place-items-center">
        <Spinner label="Loading your workspace" />
      </div>
    );
  }
  if (me.isError) {
    return (
      <div className="grid h-screen place-items-center">
        <ErrorState error={errorMessage(me.error)} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  const fullBleed = pathname.startsWith("/workflows/edit");
  return (
    <div className="flex h-screen min-w-[1024px] overflow-hidden">
      <Sidebar compact={fullBleed} />
      <div className="flex min-w-0 flex-1 flex-col">
        <Header live={live} />
        <main className={fullBleed ? "min-h-0 flex-1" : "min-h-0 flex-1 overflow-y-auto"}>
          {fullBleed ? children : <div className="mx-auto max-w-7xl px-6 py-6">{children}</div>}
        </main>
      </div>
    </div>
  );
}
