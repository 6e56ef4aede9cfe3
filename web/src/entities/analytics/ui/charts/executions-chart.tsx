"use client";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ExecutionDayRow } from "../../model/shape";
import { SERIES, seriesOrder, tick, tooltipStyle } from "./theme";

/** Executions per UTC day: completed, failed and cancelled stacked, started as a line. */
export default function ExecutionsChart({ rows, height = 260 }: { rows: ExecutionDayRow[]; height?: number }) {
  return (
    <div className="text-slate-400" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.25} />
          <XAxis dataKey="label" tick={tick} tickLine={false} axisLine={false} minTickGap={16} />
          <YAxis allowDecimals={false} tick={tick} tickLine={false} axisLine={false} />
          <Tooltip {...tooltipStyle} itemSorter={seriesOrder(["started", "completed", "failed", "cancelled"])} />
          <Legend wrapperStyle={{ fontSize: 12 }} iconSize={10} itemSorter={null} />
          <Bar dataKey="completed" name="Completed" stackId="status" fill={SERIES.completed} maxBarSize={28} isAnimationActive={false} />
          <Bar dataKey="failed" name="Failed" stackId="status" fill={SERIES.failed} maxBarSize={28} isAnimationActive={false} />
          <Bar dataKey="cancelled" name="Cancelled" stackId="status" fill={SERIES.cancelled} maxBarSize={28} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Line dataKey="started" name="Started" type="linear" stroke={SERIES.started} strokeWidth={2} dot={rows.length <= 14} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
