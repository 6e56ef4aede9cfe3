export { AnalyticsOverview } from "./ui/analytics-overview";
