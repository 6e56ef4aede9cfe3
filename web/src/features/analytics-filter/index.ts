export { useAnalyticsFilter, readFilter, writeFilter, type AnalyticsFilterState } from "./model/filter";
export { PeriodPicker, type PeriodPickerProps } from "./ui/period-picker";
export { WorkflowFilter } from "./ui/workflow-filter";
export { GoalPicker } from "./ui/goal-picker";
