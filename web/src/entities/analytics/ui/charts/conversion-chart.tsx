"use client";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ConversionDayRow } from "../../model/shape";
import { SERIES, seriesOrder, tick, tooltipStyle } from "./theme";

/** Entries per UTC day of entry beside those of them that converted. */
export default function ConversionChart({ rows, height = 220 }: { rows: ConversionDayRow[]; height?: number }) {
  return (
    <div className="text-slate-400" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.25} />
          <XAxis dataKey="label" tick={tick} tickLine={false} axisLine={false} minTickGap={16} />
          <YAxis allowDecimals={false} tick={tick} tickLine={false} axisLine={false} />
          <Tooltip {...tooltipStyle} itemSorter={seriesOrder(["entries", "converted"])} />
          <Legend wrapperStyle={{ fontSize: 12 }} iconSize={10} itemSorter={null} />
          <Bar dataKey="entries" name="Entries" fill={SERIES.entries} maxBarSize={18} isAnimationActive={false} />
          <Bar dataKey="converted" name="Converted" fill={SERIES.converted} maxBarSize={18} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
