"use client";
import { useEffect, useRef, useState } from "react";
import { useRouter } from "next/navigation";
import { Check, ChevronsUpDown, Plus } from "lucide-react";
import { useMe, useSwitchTenant } from "@/entities/session";
import { errorMessage } from "@/shared/api";
import { routes } from "@/shared/config";
import { cn } from "@/shared/lib";
import { Badge, useToast } from "@/shared/ui";
import { CreateWorkspaceDialog } from "./create-workspace";

/** The workspace switcher of the header: lists the caller's memberships and switches the active one. */
export function WorkspaceSwitcher() {
  const { data: me } = useMe();
  const switchTenant = useSwitchTenant();
  const router = useRouter();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
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
  const active = me?.activeTenant;
  return (
    <div ref={ref} className="relative">
      <button
        type="button"
        aria-haspopup="listbox"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="workspace-switcher"
        className="flex h-8 max-w-64 items-center gap-2 rounded-md border border-slate-200 bg-white px-2 text-sm hover:bg-slate-50"
      >
        <span className="grid size-5 place-items-center rounded bg-brand-100 text-[11px] font-semibold text-brand-700">
          {(active?.name ?? "?").slice(0, 1).toUpperCase()}
        </span>
        <span className="truncate font-medium text-slate-800">{active?.name ?? "No workspace"}</span>
        {active?.plan && <Badge className="ml-0.5">{active.plan}</Badge>}
        <ChevronsUpDown className="size-3.5 text-slate-400" aria-hidden />
      </button>
      {open && (
        <div role="listbox" aria-label="Workspaces" className="absolute left-0 z-40 mt-1 w-72 rounded-lg border border-slate-200 bg-white p-1 shadow-lg">
          <div className="px-2 py-1.5 text-[11px] font-medium tracking-wide text-slate-400 uppercase">Workspaces</div>
          {(me?.memberships ?? []).map((m) => {
            const isActive = m.tenant.id === active?.id;
            return (
              <button
                key={m.tenant.id}
                role="option"
                aria-selected={isActive}
                type="button"
                disabled={switchTenant.isPending}
                onClick={() => {
                  setOpen(false);
                  if (isActive) return;
                  switchTenant.mutate(m.tenant.id, {
                    onSuccess: () => {
                      toast(`Switched to ${m.tenant.name}`);
                      router.push(routes.workflows);
                    },
                    onError: (e) => toast(errorMessage(e), "error"),
                  });
                }}
                className={cn("flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm hover:bg-slate-50", isActive && "bg-slate-50")}
              >
                <span className="grid size-5 place-items-center rounded bg-slate-100 text-[11px] font-semibold text-slate-600">
                  {m.tenant.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-medium text-slate-800">{m.tenant.name}</span>
                  <span className="block text-xs text-slate-500">
                    {String(m.role).toLowerCase()} · {m.tenant.plan}
                  </span>
                </span>
                {isActive && <Check className="size-4 text-brand-600" aria-hidden />}
              </button>
            );
          })}
          <div className="mt-1 border-t border-slate-100 pt-1">
            <button
              type="button"
              data-testid="new-workspace"
              onClick={() => {
                setOpen(false);
                setCreating(true);
              }}
              className="flex w-full items-center gap-2 rounded-md px-2 py-1.5 text-left text-sm font-medium text-slate-700 hover:bg-slate-50"
            >
              <Plus className="size-4 text-slate-400" aria-hidden />
              New workspace
            </button>
            <p className="px-2 pb-1 text-xs text-slate-500">To join someone else&apos;s, open their invitation link.</p>
          </div>
        </div>
      )}
      <CreateWorkspaceDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
