import { Badge } from "@/shared/ui";
import { messageStatusTone, type MessageStatus } from "../model/types";

/** A chip naming a message's status. */
export function MessageStatusBadge({ status }: { status: MessageStatus }) {
  return <Badge tone={messageStatusTone(status)}>{status}</Badge>;
}
