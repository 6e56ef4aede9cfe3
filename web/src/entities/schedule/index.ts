export { scheduleApi, useSchedules } from "./api/schedule-api";
