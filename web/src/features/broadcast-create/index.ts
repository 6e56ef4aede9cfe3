export { CreateBroadcastButton, sendDuration } from "./ui/create-broadcast";
