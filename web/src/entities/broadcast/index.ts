export { broadcastApi, useBroadcasts, useBroadcast } from "./api/broadcast-api";
export type { Broadcast, BroadcastCreate, BroadcastStatus, ScheduleMode } from "./model/types";
export { isBroadcastActive, broadcastProgress } from "./model/types";
export { BroadcastStatusBadge, BroadcastProgressBar } from "./ui/status-badge";
