import { Badge } from "@/shared/ui";
import { reasonLabel, reasonTone } from "../model/types";

/** A chip naming why an address is suppressed. */
export function SuppressionReasonBadge({ reason }: { reason: string }) {
  return <Badge tone={reasonTone(reason)}>{reasonLabel(reason)}</Badge>;
}
