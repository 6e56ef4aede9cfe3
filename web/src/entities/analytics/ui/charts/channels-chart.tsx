"use client";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ChannelRow } from "../../model/shape";
import { SERIES, seriesOrder, tick, tooltipStyle } from "./theme";

/** Messages per channel: sent, delivered, read, failed and bounced side by side. */
export default function ChannelsChart({ rows, height = 240 }: { rows: ChannelRow[]; height?: number }) {
  return (
    <div className="text-slate-400" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} barCategoryGap="20%">
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.25} />
          <XAxis dataKey="label" tick={tick} tickLine={false} axisLine={false} />
          <YAxis allowDecimals={false} tick={tick} tickLine={false} axisLine={false} />
          <Tooltip {...tooltipStyle} itemSorter={seriesOrder(["sent", "delivered", "read", "failed", "bounced"])} />
          <Legend wrapperStyle={{ fontSize: 12 }} iconSize={10} itemSorter={null} />
          <Bar dataKey="sent" name="Sent" fill={SERIES.sent} maxBarSize={22} isAnimationActive={false} />
          <Bar dataKey="delivered" name="Delivered" fill={SERIES.delivered} maxBarSize={22} isAnimationActive={false} />
          <Bar dataKey="read" name="Read" fill={SERIES.read} maxBarSize={22} isAnimationActive={false} />
          <Bar dataKey="failed" name="Failed" fill={SERIES.failed} maxBarSize={22} isAnimationActive={false} />
          <Bar dataKey="bounced" name="Bounced" fill={SERIES.bounced} maxBarSize={22} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
