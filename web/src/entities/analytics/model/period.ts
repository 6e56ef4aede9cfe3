/** The periods the analytics pages offer; custom takes two dates. */
export type PeriodKind = "7d" | "30d" | "90d" | "custom";

export const PERIODS: Array<{ id: PeriodKind; label: string; days?: number }> = [
  { id: "7d", label: "7 days", days: 7 },
  { id: "30d", label: "30 days", days: 30 },
  { id: "90d", label: "90 days", days: 90 },
  { id: "custom", label: "Custom" },
];

/** The longest period the API answers (days). */
export const MAX_PERIOD_DAYS = 400;

const DAY_MS = 86_400_000;

/** yyyy-mm-dd of an instant, in UTC (the API's days are UTC days). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC midnight that starts a yyyy-mm-dd day, or NaN. */
function dayStart(day: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
}

/**
 * periodOf resolves a choice to the API's period of whole UTC days, `from`
 * the first day and `to` the day after the last (exclusive), or to an
 * error sentence. A rolling period of N days is today and the N-1 UTC days
 * before it; a custom one runs from its first day through its last.
 */
export function periodOf(kind: PeriodKind, customFrom: string, customTo: string, now = Date.now()): { from: string; to: string } | { error: string } {
  if (kind === "custom") {
    const from = dayStart(customFrom);
    const last = dayStart(customTo);
    if (Number.isNaN(from) || Number.isNaN(last)) return { error: "Choose a first and a last day." };
    if (last < from) return { error: "The last day is before the first day." };
    const to = last + DAY_MS;
    if ((to - from) / DAY_MS > MAX_PERIOD_DAYS) return { error: `A period spans at most ${MAX_PERIOD_DAYS} days.` };
    return { from: utcDay(from), to: utcDay(to) };
  }
  const days = PERIODS.find((p) => p.id === kind)?.days ?? 30;
  const today = dayStart(utcDay(now));
  return { from: utcDay(today - (days - 1) * DAY_MS), to: utcDay(today + DAY_MS) };
}

/** A period of UTC days as RFC 3339 instants (for routes that take instants, such as the funnel's). */
export function instants(p: { from: string; to: string }): { from: string; to: string } {
  return { from: new Date(dayStart(p.from)).toISOString(), to: new Date(dayStart(p.to)).toISOString() };
}

/** The UTC days a period touches, in order ("to" is exclusive). */
export function daysOf(from: string, to: string): string[] {
  const begin = Date.parse(from);
  const end = Date.parse(to);
  const out: string[] = [];
  if (Number.isNaN(begin) || Number.isNaN(end)) return out;
  const start = dayStart(utcDay(begin));
  for (let t = start; t < end && out.length <= MAX_PERIOD_DAYS + 1; t += DAY_MS) out.push(utcDay(t));
  return out;
}

/** A short label of a UTC day for an axis: "Dec 3". */
export function dayLabel(day: string): string {
  const t = dayStart(day);
  if (Number.isNaN(t)) return day;
  return new Date(t).toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
}

/** The conversion windows offered, as the API's durations. */
export const WINDOWS: Array<{ value: string; label: string }> = [
  { value: "1h", label: "1 hour" },
  { value: "24h", label: "24 hours" },
  { value: "72h", label: "3 days" },
  { value: "168h", label: "7 days" },
  { value: "720h", label: "30 days" },
];
