"use client";
import { useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { BookOpen, LogOut, Menu, Settings } from "lucide-react";
import { activeRole, useMe } from "@/entities/session";
import { useLogout } from "@/features/auth";
import { WorkspaceSwitcher } from "@/features/workspace-switch";
import { routes } from "@/shared/config";
import type { LiveStatus } from "@/shared/api";
import { cn } from "@/shared/lib";

function UserMenu() {
  const { data: me } = useMe();
  const logout = useLogout();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => !ref.current?.contains(e.target as Node) && setOpen(false);
    const esc = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", esc);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", esc);
    };
  }, [open]);
  const name = me?.user.name || me?.user.email || "";
  const initials = name
    .split(/[\s@.]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((s) => s[0]!.toUpperCase())
    .join("");
  const item = "flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm text-slate-700 hover:bg-slate-50";
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="User menu"
        data-testid="user-menu"
        onClick={() => setOpen((o) => !o)}
        className="grid size-8 place-items-center rounded-full bg-slate-800 text-xs font-semibold text-white hover:ring-2 hover:ring-slate-300"
      >
        {initials || "·"}
      </button>
      {open && (
        <div role="menu" className="absolute right-0 z-40 mt-1 w-60 rounded-lg border border-slate-200 bg-white p-1 shadow-lg">
          <div className="border-b border-slate-100 px-2 pt-1.5 pb-2">
            <div className="truncate text-sm font-medium text-slate-900">{me?.user.name}</div>
            <div className="truncate text-xs text-slate-500">{me?.user.email}</div>
            <div className="mt-1 text-xs text-slate-500">Role: {String(activeRole(me) ?? "—").toLowerCase()}</div>
          </div>
          <button role="menuitem" type="button" className={cn(item, "mt-1")} onClick={() => (setOpen(false), router.push(routes.workspace))}>
            <Settings className="size-4 text-slate-400" aria-hidden /> Workspace settings
          </button>
          <a role="menuitem" className={item} href="/api/v1/docs" target="_blank" rel="noreferrer">
            <BookOpen className="size-4 text-slate-400" aria-hidden /> API reference
          </a>
          <button
            role="menuitem"
            type="button"
            data-testid="logout"
            className={item}
            onClick={() => logout.mutate(undefined, { onSettled: () => router.replace(routes.login) })}
          >
            <LogOut className="size-4 text-slate-400" aria-hidden /> Log out
          </button>
        </div>
      )}
    </div>
  );
}

const liveLabels: Record<LiveStatus, { text: string; dot: string; title: string }> = {
  live: { text: "Live", dot: "bg-emerald-500", title: "Live updates connected" },
  connecting: { text: "Connecting…", dot: "bg-slate-300", title: "Connecting to live updates" },
  reconnecting: { text: "Reconnecting…", dot: "bg-amber-500 animate-pulse", title: "The server cannot be reached; showing what was last loaded" },
};

/**
 * The dashboard header: the menu button (small screens), workspace
 * switcher, live status and user menu.
 */
export function Header({ live, onMenu, menuOpen }: { live: LiveStatus; onMenu?: () => void; menuOpen?: boolean }) {
  const l = liveLabels[live];
  return (
    <header className="flex h-12 shrink-0 items-center justify-between gap-2 border-b border-slate-200 bg-white px-2 sm:gap-4 sm:px-4">
      <div className="flex min-w-0 items-center gap-1">
        {onMenu && (
          <button
            type="button"
            onClick={onMenu}
            aria-label="Menu"
            aria-controls="main-nav"
            aria-expanded={!!menuOpen}
            data-testid="menu-button"
            className="grid size-9 shrink-0 place-items-center rounded-md text-slate-600 hover:bg-slate-100 lg:hidden"
          >
            <Menu className="size-5" aria-hidden />
          </button>
        )}
        <WorkspaceSwitcher />
      </div>
      <div className="flex shrink-0 items-center gap-3">
        <span className="flex items-center gap-1.5 text-xs text-slate-500" title={l.title} data-testid="live-status" data-status={live}>
          <span className={cn("size-1.5 rounded-full", l.dot)} aria-hidden />
          <span className={live === "live" ? "hidden sm:inline" : undefined}>{l.text}</span>
        </span>
        <UserMenu />
      </div>
    </header>
  );
}
