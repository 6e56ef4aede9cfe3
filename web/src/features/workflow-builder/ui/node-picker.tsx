"use client";
import { memo, useEffect, useMemo, useRef, useState } from "react";
import { Search } from "lucide-react";
import { groupByCategory, NodeIcon, nodeAccent } from "@/entities/workflow";
import { cn } from "@/shared/lib";
import { insertable } from "../model/editing";
import { useBuilder } from "../model/context";

export interface NodePickerProps {
  /** Where the picker opens, in screen (client) pixels. */
  x: number;
  y: number;
  /** What the step will be connected to, for the title. */
  title: string;
  onPick: (type: string) => void;
  onClose: () => void;
}

const WIDTH = 280;
const MAX_HEIGHT = 360;

/**
 * NodePicker is the small searchable list of steps that opens from a "+"
 * or where a dragged connection was dropped. Triggers are not offered:
 * nothing leads into them. Enter picks the first match, Escape closes.
 */
export const NodePicker = memo(function NodePicker({ x, y, title, onPick, onClose }: NodePickerProps) {
  const types = useBuilder((s) => s.nodeTypes);
  const [q, setQ] = useState("");
  const ref = useRef<HTMLDivElement>(null);
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    // Unavailable steps are listed (greyed, with why) but never picked by Enter.
    const list = Object.values(types).filter(
      (t) => insertable(t.type, t.inputs) && (!needle || `${t.label} ${t.type} ${t.description} ${t.category}`.toLowerCase().includes(needle)),
    );
    return groupByCategory(list);
  }, [types, q]);
  const first = groups.flatMap((g) => g.types).find((t) => (t as { available?: boolean }).available !== false);

  useEffect(() => {
    const onDown = (e: PointerEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const t = setTimeout(() => window.addEventListener("pointerdown", onDown), 0);
    return () => (clearTimeout(t), window.removeEventListener("pointerdown", onDown));
  }, [onClose]);

  // Keep the picker on screen.
  const left = Math.max(8, Math.min(x, (typeof window === "undefined" ? 1440 : window.innerWidth) - WIDTH - 8));
  const top = Math.max(8, Math.min(y, (typeof window === "undefined" ? 900 : window.innerHeight) - MAX_HEIGHT - 8));

  return (
    <div
      ref={ref}
      role="dialog"
      aria-label={title}
      className="fixed z-50 flex flex-col overflow-hidden rounded-lg border border-slate-200 bg-white shadow-xl"
      style={{ left, top, width: WIDTH, maxHeight: MAX_HEIGHT }}
      data-testid="node-picker"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="border-b border-slate-200 p-2">
        <div className="px-1 pb-1.5 text-[11px] font-medium text-slate-500">{title}</div>
        <label className="relative block">
          <span className="sr-only">Search steps</span>
          <Search className="pointer-events-none absolute top-2 left-2 size-4 text-slate-400" aria-hidden />
          <input
            autoFocus
            value={q}
            onChange={(e) => setQ(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && first) {
                e.preventDefault();
                onPick(first.type);
              }
            }}
            placeholder="Search steps…"
            className="h-8 w-full rounded-md border border-slate-300 pr-2 pl-8 text-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/20 focus:outline-none"
            data-testid="node-picker-search"
          />
        </label>
      </div>
      <div className="flex-1 overflow-y-auto p-1.5">
        {groups.length === 0 && <p className="p-3 text-center text-xs text-slate-500">No step matches “{q}”.</p>}
        {groups.map((g) => (
          <div key={g.category} className="mb-1.5">
            <div className="px-1.5 pb-0.5 text-[10px] font-medium tracking-wide text-slate-400 uppercase">{g.category}</div>
            {g.types.map((t) => {
              const off = (t as { available?: boolean }).available === false;
              const why = (t as { unavailableReason?: string }).unavailableReason;
              return (
              <button
                key={t.type}
                type="button"
                disabled={off}
                onClick={() => onPick(t.type)}
                className="flex w-full items-center gap-2 rounded-md px-1.5 py-1 text-left hover:bg-slate-50 focus:bg-slate-50 focus:outline-none disabled:cursor-not-allowed disabled:opacity-50"
                data-testid={`node-picker-item-${t.type}`}
                title={off ? `Unavailable: ${why ?? "this server cannot run it"}` : t.description}
              >
                <span className={cn("grid size-6 shrink-0 place-items-center rounded", nodeAccent(t.type).icon)}>
                  <NodeIcon type={t.type} className="size-3.5" />
                </span>
                <span className="min-w-0 truncate text-[13px] font-medium text-slate-800">{t.label}</span>
                {off && <span className="ml-auto text-[10px] text-slate-400">unavailable</span>}
              </button>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
});
