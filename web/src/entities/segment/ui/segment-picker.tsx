"use client";
import Link from "next/link";
import { routes } from "@/shared/config";
import { useSegments } from "../api/segment-api";
import type { Segment } from "../model/types";

/** "VIP customers · 1,204 members" (or "computing…" before the first computation). */
export function segmentOptionLabel(s: Pick<Segment, "name" | "memberCount" | "computedAt">): string {
  if (!s.computedAt) return `${s.name} · computing…`;
  return `${s.name} · ${s.memberCount.toLocaleString("en")} member${s.memberCount === 1 ? "" : "s"}`;
}

/**
 * A select of the workspace's segments by name with their member count,
 * for node configs that name one (trigger.segment's segmentId). A stored
 * ID that names no segment stays visible as "unknown segment".
 */
export function SegmentPicker({ id, value, onChange, disabled }: { id?: string; value: string; onChange: (segmentId: string) => void; disabled?: boolean }) {
  const list = useSegments();
  const items = [...(list.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const known = !value || items.some((s) => s.id === value);
  return (
    <div className="space-y-1">
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value)}
        className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 focus:border-brand-500 focus:ring-1 focus:ring-brand-500 focus:outline-none"
        data-testid="segment-picker"
      >
        <option value="">{list.isPending ? "Loading segments…" : items.length === 0 ? "No segments yet" : "Choose a segment…"}</option>
        {items.map((s) => (
          <option key={s.id} value={s.id}>
            {segmentOptionLabel(s)}
          </option>
        ))}
        {!known && !list.isPending && <option value={value}>Unknown segment ({value.slice(0, 8)}…)</option>}
      </select>
      {!list.isPending && items.length === 0 && (
        <p className="text-xs text-slate-500">
          A segment is an audience defined by contact fields, attributes and events.{" "}
          <Link href={routes.segmentEdit()} className="font-medium text-brand-600 hover:underline">
            Create one
          </Link>
          .
        </p>
      )}
    </div>
  );
}
