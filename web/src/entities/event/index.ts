export { eventApi, useEvents, useEventNames } from "./api/event-api";
export type { TrackedEvent, EventQuery } from "./model/types";
export { propertiesPreview } from "./model/preview";
export { SendFirstEvent, firstEventCurl } from "./ui/send-first-event";
