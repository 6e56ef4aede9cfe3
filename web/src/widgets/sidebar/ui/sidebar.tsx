"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Activity, CalendarClock, ChartColumn, Filter, FileText, KeyRound, LockKeyhole, Megaphone, Radio, ScrollText, Settings, ShieldOff, Sparkles, Users, UsersRound, Workflow, Zap } from "lucide-react";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";

const sections = [
  {
    title: "Automate",
    items: [
      { href: routes.workflows, label: "Workflows", Icon: Workflow },
      { href: "/executions", label: "Executions", Icon: Activity },
      { href: routes.analytics(), label: "Analytics", Icon: ChartColumn },
      { href: routes.schedules, label: "Schedules", Icon: CalendarClock },
      { href: routes.broadcasts, label: "Broadcasts", Icon: Megaphone },
    ],
  },
  {
    title: "Audience",
    items: [
      { href: routes.contacts, label: "Contacts", Icon: UsersRound },
      { href: routes.segments, label: "Segments", Icon: Filter },
      { href: routes.events(), label: "Events", Icon: Zap },
      { href: routes.channels, label: "Channels", Icon: Radio },
      { href: "/templates", label: "Templates", Icon: FileText },
      { href: "/suppressions", label: "Suppressions", Icon: ShieldOff },
    ],
  },
  {
    title: "Workspace",
    items: [
      { href: routes.members, label: "Members", Icon: Users },
      { href: routes.apiKeys, label: "API keys", Icon: KeyRound },
      { href: routes.credentials, label: "Credentials", Icon: LockKeyhole },
      { href: routes.ai, label: "AI", Icon: Sparkles },
      { href: routes.auditLog, label: "Audit log", Icon: ScrollText },
      { href: routes.workspace, label: "Settings", Icon: Settings },
    ],
  },
];

/**
 * The dashboard's left navigation; `compact` shows icons only (the builder
 * needs the room). `onNavigate` runs after a link is followed (the small
 * screen's menu closes itself).
 */
export function Sidebar({ compact = false, onNavigate, className }: { compact?: boolean; onNavigate?: () => void; className?: string }) {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Main"
      id="main-nav"
      className={cn("flex h-full shrink-0 flex-col border-r border-slate-200 bg-white", compact ? "w-14" : "w-56", className)}
    >
      <Link
        href={routes.home}
        onClick={onNavigate}
        className={cn("flex h-12 items-center gap-2 border-b border-slate-200", compact ? "justify-center" : "px-4")}
        aria-label="NextFlow home"
      >
        <span className="grid size-6 place-items-center rounded-md bg-brand-600 text-white">
          <Workflow className="size-3.5" aria-hidden />
        </span>
        {!compact && <span className="text-sm font-semibold tracking-tight text-slate-900">NextFlow</span>}
      </Link>
      <div className="flex-1 overflow-y-auto px-2 py-3">
        {sections.map((s) => (
          <div key={s.title} className="mb-4">
            {compact ? (
              <div className="mx-2 mb-2 border-t border-slate-100" aria-hidden />
            ) : (
              <div className="px-2 pb-1 text-[11px] font-medium tracking-wide text-slate-400 uppercase">{s.title}</div>
            )}
            <ul className="space-y-0.5">
              {s.items.map(({ href, label, Icon }) => {
                const active = pathname === href || pathname.startsWith(`${href}/`);
                return (
                  <li key={href}>
                    <Link
                      href={href}
                      aria-current={active ? "page" : undefined}
                      aria-label={compact ? label : undefined}
                      title={compact ? label : undefined}
                      data-testid={`nav-${label.toLowerCase().replace(/\s+/g, "-")}`}
                      onClick={onNavigate}
                      className={cn(
                        "flex h-8 items-center gap-2.5 rounded-md px-2 text-sm",
                        compact && "justify-center",
                        active
                          ? "bg-brand-50 font-medium text-brand-700"
                          : "text-slate-600 hover:bg-slate-50 hover:text-slate-900",
                      )}
                    >
                      <Icon className="size-4" aria-hidden />
                      {!compact && label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </div>
    </nav>
  );
}
