import { Badge } from "@/shared/ui";

const tone = { subscribed: "green", unsubscribed: "red", never: "gray" } as const;

/** A channel's consent state: subscribed (green), unsubscribed (red) or never (gray). */
export function SubscriptionBadge({ state }: { state?: string }) {
  const s = (state ?? "never") as keyof typeof tone;
  return <Badge tone={tone[s] ?? "gray"}>{s}</Badge>;
}
