import type { components } from "@/shared/api/schema";

type S = components["schemas"];

/** A segment and the state of its stored membership (SegmentDTO). */
export type Segment = S["SegmentDTO"];
/** One node of a segment's condition tree: exactly one field is set. */
export type SegmentCondition = S["SegmentCondition"];
/** What a definition matches now: the editor's live count and sample. */
export type SegmentPreview = S["SegmentPreviewResultDTO"];
/** The body of a create or replace. */
export type SegmentWrite = S["SegmentWriteDTO"];

/** The server's bounds on a definition (store.SegmentMaxDepth, SegmentMaxConditions). */
export const SEGMENT_MAX_DEPTH = 5;
export const SEGMENT_MAX_CONDITIONS = 50;

/** Contact fields a segment can test, with the words the form shows. */
export const SEGMENT_FIELDS = [
  { value: "email", label: "Email" },
  { value: "phone", label: "Phone" },
  { value: "name", label: "Name" },
  { value: "externalId", label: "External ID" },
  { value: "messengerPsid", label: "Messenger PSID" },
  { value: "timezone", label: "Time zone" },
  { value: "locale", label: "Locale" },
] as const;

/** Consent states, as the API spells them. */
export const SUBSCRIPTION_STATES = [
  { value: "subscribed", label: "subscribed" },
  { value: "unsubscribed", label: "unsubscribed" },
  { value: "never", label: "never subscribed" },
] as const;

/** Comparison operators of attributes and event counts. */
export const COMPARE_LABELS: Record<string, string> = { eq: "=", ne: "≠", gt: ">", gte: "≥", lt: "<", lte: "≤" };

/** Words for an event-count operator: "at least", "at most", … */
export const COUNT_LABELS: Record<string, string> = {
  gte: "at least",
  lte: "at most",
  eq: "exactly",
  gt: "more than",
  lt: "fewer than",
  ne: "not exactly",
};

/** Time units a window is entered in, largest first. */
export const WINDOW_UNITS = [
  { value: "days", label: "days", seconds: 86_400 },
  { value: "hours", label: "hours", seconds: 3_600 },
  { value: "minutes", label: "minutes", seconds: 60 },
] as const;
export type WindowUnit = (typeof WINDOW_UNITS)[number]["value"] | "seconds";

/** The unit of a window as the form shows it: the largest unit that divides it. */
export function windowParts(seconds: number): { amount: number; unit: WindowUnit } {
  for (const u of WINDOW_UNITS) if (seconds > 0 && seconds % u.seconds === 0) return { amount: seconds / u.seconds, unit: u.value };
  return { amount: seconds, unit: "seconds" };
}

/** Seconds of an amount in a unit. */
export function unitSeconds(unit: WindowUnit): number {
  return WINDOW_UNITS.find((u) => u.value === unit)?.seconds ?? 1;
}

/** "30 days", "1 hour", "90 seconds". */
export function formatWindow(seconds: number): string {
  const { amount, unit } = windowParts(seconds);
  const word = amount === 1 ? unit.replace(/s$/, "") : unit;
  return `${amount.toLocaleString("en")} ${word}`;
}
