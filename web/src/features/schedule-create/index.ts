export { NewScheduleButton } from "./ui/new-schedule";
