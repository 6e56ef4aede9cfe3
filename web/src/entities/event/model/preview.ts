/**
 * propertiesPreview renders an event's properties on one line, key=value
 * pairs in the order sent, cut at max characters: enough to tell events
 * apart in a list without opening them.
 */
export function propertiesPreview(props: unknown, max = 120): string {
  if (!props || typeof props !== "object" || Array.isArray(props)) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
    const shown = typeof v === "string" ? JSON.stringify(v) : v !== null && typeof v === "object" ? (Array.isArray(v) ? "[…]" : "{…}") : String(v);
    parts.push(`${k}=${shown}`);
  }
  const line = parts.join("  ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
