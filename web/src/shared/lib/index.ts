export { cn } from "./cn";
export { formatRelative, formatDateTime, formatDuration, shortId, prettyJson } from "./format";
export { useDebouncedValue } from "./hooks";
export { formatInZone } from "./timezone";
