"use client";
import { memo, useMemo, useState } from "react";
import { Search } from "lucide-react";
import type { NodeType } from "@/shared/api";
import { groupByCategory, NodeIcon, nodeAccent } from "@/entities/workflow";
import { cn } from "@/shared/lib";

export const DND_MIME = "application/x-nextflow-node-type";

/** The node palette: node types from the server grouped by category; drag onto the canvas or click to add. */
export const Palette = memo(function Palette({ types, onAdd }: { types: NodeType[]; onAdd: (type: string) => void }) {
  const [q, setQ] = useState("");
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const filtered = needle
      ? types.filter((t) => `${t.label} ${t.type} ${t.description} ${t.category}`.toLowerCase().includes(needle))
      : types;
    return groupByCategory(filtered);
  }, [types, q]);
  return (
    <aside aria-label="Node palette" className="flex w-56 shrink-0 flex-col border-r border-slate-200 bg-white" data-testid="palette">
      <div className="border-b border-slate-200 p-2.5">
        <label className="relative block">
          <span className="sr-only">Search steps</span>
          <Search className="pointer-events-none absolute top-2 left-2 size-4 text-slate-400" aria-hidden />
          <input
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="Search steps…"
            className="h-8 w-full rounded-md border border-slate-300 pr-2 pl-8 text-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/20 focus:outline-none"
            data-testid="palette-search"
          />
        </label>
      </div>
      <div className="flex-1 overflow-y-auto p-2">
        {groups.length === 0 && <p className="p-3 text-center text-xs text-slate-500">No step matches “{q}”.</p>}
        {groups.map((g) => (
          <div key={g.category} className="mb-3">
            <div className="px-1.5 pb-1 text-[11px] font-medium tracking-wide text-slate-400 uppercase">{g.category}</div>
            <ul className="space-y-0.5">
              {g.types.map((t) => {
                const accent = nodeAccent(t.type);
                if (t.available === false) {
                  const reason = t.unavailableReason || "this server cannot run this step";
                  const why = reason.charAt(0).toUpperCase() + reason.slice(1);
                  return (
                    <li key={t.type}>
                      <div
                        aria-disabled="true"
                        title={`${t.label} is unavailable: ${why}`}
                        data-testid={`palette-item-${t.type}`}
                        data-unavailable="true"
                        className="flex w-full cursor-not-allowed items-center gap-2 rounded-md px-1.5 py-1.5 text-left opacity-60"
                      >
                        <span className="grid size-6 shrink-0 place-items-center rounded bg-slate-100 text-slate-400">
                          <NodeIcon type={t.type} className="size-3.5" />
                        </span>
                        <span className="min-w-0">
                          <span className="flex items-center gap-1.5 text-[13px] font-medium text-slate-500">
                            <span className="truncate">{t.label}</span>
                            <span className="shrink-0 rounded bg-slate-100 px-1 text-[10px] font-medium tracking-wide text-slate-500 uppercase">
                              Unavailable
                            </span>
                          </span>
                          <span className="block text-[11px] leading-snug text-slate-500">{why}</span>
                        </span>
                      </div>
                    </li>
                  );
                }
                return (
                  <li key={t.type}>
                    <button
                      type="button"
                      draggable
                      onDragStart={(e) => {
                        e.dataTransfer.setData(DND_MIME, t.type);
                        e.dataTransfer.setData("text/plain", t.type);
                        e.dataTransfer.effectAllowed = "move";
                      }}
                      onClick={() => onAdd(t.type)}
                      title={`${t.description}\nDrag onto the canvas, or click to add.`}
                      data-testid={`palette-item-${t.type}`}
                      className="group flex w-full cursor-grab items-center gap-2 rounded-md px-1.5 py-1.5 text-left hover:bg-slate-50 active:cursor-grabbing"
                    >
                      <span className={cn("grid size-6 shrink-0 place-items-center rounded", accent.icon)}>
                        <NodeIcon type={t.type} className="size-3.5" />
                      </span>
                      <span className="min-w-0">
                        <span className="block truncate text-[13px] font-medium text-slate-800">{t.label}</span>
                        <span className="block truncate text-[11px] text-slate-500">{t.description}</span>
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </div>
    </aside>
  );
});
