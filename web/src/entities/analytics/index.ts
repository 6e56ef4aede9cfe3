export { analyticsApi, useExecutionAnalytics, useMessageAnalytics, useSplitAnalytics, useConversion } from "./api/analytics-api";
export type { AnalyticsFilter, Goal } from "./api/analytics-api";
export type { AnalyticsPeriod, ConversionAnalytics, ExecutionAnalytics, MessageAnalytics, SplitAnalytics } from "./model/types";
export { PERIODS, WINDOWS, MAX_PERIOD_DAYS, periodOf, instants, daysOf, dayLabel, utcDay, type PeriodKind } from "./model/period";
export {
  executionSeries,
  hasExecutions,
  channelRows,
  channelLabel,
  conversionSeries,
  funnelRows,
  endShares,
  splitRows,
  percent,
  count,
  seconds,
  ratio,
  type ExecutionDayRow,
  type ChannelRow,
  type ConversionDayRow,
  type FunnelRow,
  type SplitRow,
  type VariantRow,
} from "./model/shape";
export { ExecutionsChart, ChannelsChart, ConversionChart } from "./ui/charts";
export { StatTile } from "./ui/stat-tile";
