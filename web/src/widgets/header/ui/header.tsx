"use client";
import { useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { BookOpen, LogOut, Settings } from "lucide-react";
import { activeRole, useMe } from "@/entities/session";
import { useLogout } from "@/features/auth";
import { WorkspaceSwitcher } from "@/features/workspace-switch";
import { routes } from "@/shared/config";
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

/** The dashboard header: workspace switcher on the left, live status and user menu on the right. */
export function Header({ live }: { live: boolean }) {
  return (
    <header className="flex h-12 shrink-0 items-center justify-between gap-4 border-b border-slate-200 bg-white px-4">
      <WorkspaceSwitcher />
      <div className="flex items-center gap-3">
        <span className="flex items-center gap-1.5 text-xs text-slate-500" title={live ? "Live updates connected" : "Live updates reconnecting; pages refresh periodically"}>
          <span className={cn("size-1.5 rounded-full", live ? "bg-emerald-500" : "bg-slate-300")} aria-hidden />
          {live ? "Live" : "Offline"}
        </span>
        <UserMenu />
      </div>
    </header>
  );
}
