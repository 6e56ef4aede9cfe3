export { useScheduleActions } from "./model/use-schedule-actions";
