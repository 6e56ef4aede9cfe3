"use client";
import dynamic from "next/dynamic";

/** The chart's frame while its code loads: the same height, so nothing jumps. */
const placeholder = (height: number) =>
  function ChartLoading() {
    return <div aria-hidden className="w-full animate-pulse rounded bg-slate-200/50" style={{ height }} />;
  };

/*
 * The charts, loaded on first render: recharts and its d3 helpers are a
 * separate chunk, so pages without charts (and the builder) do not carry
 * them in their first load.
 */
export const ExecutionsChart = dynamic(() => import("./charts/executions-chart"), { ssr: false, loading: placeholder(260) });
export const ChannelsChart = dynamic(() => import("./charts/channels-chart"), { ssr: false, loading: placeholder(240) });
export const ConversionChart = dynamic(() => import("./charts/conversion-chart"), { ssr: false, loading: placeholder(220) });
