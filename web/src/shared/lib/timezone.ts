/**
 * formatInZone writes an instant as a wall-clock time in an IANA time zone
 * ("Mon 3 Mar, 09:00"), so a schedule's runs read in the zone they were set
 * in, whatever the browser's. An unknown zone falls back to UTC.
 */
export function formatInZone(iso: string | null | undefined, timeZone: string, locale?: string): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const opts: Intl.DateTimeFormatOptions = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(locale, { ...opts, timeZone }).format(d);
  } catch {
    return `${new Intl.DateTimeFormat(locale, { ...opts, timeZone: "UTC" }).format(d)} UTC`;
  }
}
