/**
 * Colours of the chart series. The 500 tones are the same in the light and
 * the dark theme (globals.css mirrors the other tones only), so the charts
 * need no theme switch; axes and grid use currentColor from their frame.
 */
export const SERIES = {
  started: "#4f6ef7",
  completed: "#10b981",
  failed: "#ef4444",
  cancelled: "#94a3b8",
  sent: "#4f6ef7",
  delivered: "#10b981",
  read: "#0ea5e9",
  bounced: "#f59e0b",
  entries: "#94a3b8",
  converted: "#10b981",
} as const;

/** Axis ticks: small, in the frame's text colour. */
export const tick = { fill: "currentColor", fontSize: 11 } as const;

/** The tooltip box, in the page's surface colours (both themes). */
export const tooltipStyle = {
  contentStyle: {
    background: "var(--color-white)",
    border: "1px solid var(--color-slate-200)",
    borderRadius: 8,
    fontSize: 12,
    color: "var(--color-slate-700)",
    boxShadow: "0 4px 12px rgb(15 23 42 / 0.12)",
  },
  labelStyle: { color: "var(--color-slate-900)", fontWeight: 600, marginBottom: 2 },
  cursor: { fill: "currentColor", fillOpacity: 0.08 },
} as const;

/** A tooltip sorter that lists series in the given order (recharts sorts by name otherwise). */
export function seriesOrder(keys: string[]) {
  return (item: { dataKey?: unknown }) => keys.indexOf(String(item.dataKey));
}
