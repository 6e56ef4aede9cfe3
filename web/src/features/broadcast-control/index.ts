export { BroadcastControls } from "./ui/broadcast-control";
