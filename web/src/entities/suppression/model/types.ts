import type { Generated } from "@/shared/api";

/** An address no message of a channel is sent to. */
export type Suppression = Generated<"SuppressionDTO", never>;
/** Why an address is suppressed. */
export type SuppressionReason = Suppression["reason"];
/** A channel that has suppressions. */
export type SuppressionChannel = Suppression["channel"];

/** Filters of the suppression list. */
export interface SuppressionQuery {
  channel?: string;
  search?: string;
}

/** The reasons, with what each means, in the order a form offers them. */
export const SUPPRESSION_REASONS: { value: SuppressionReason; label: string }[] = [
  { value: "manual", label: "Added by hand" },
  { value: "complaint", label: "Spam complaint" },
  { value: "hard_bounce", label: "Hard bounce" },
  { value: "unsubscribed", label: "Unsubscribed" },
];

/** The channels, with what their addresses look like. */
export const SUPPRESSION_CHANNELS: { value: SuppressionChannel; label: string; placeholder: string; hint: string }[] = [
  { value: "email", label: "Email", placeholder: "ada@example.com", hint: "An email address; stored in lowercase." },
  { value: "whatsapp", label: "WhatsApp", placeholder: "+4915112345678", hint: "A phone number in international form, with its country code." },
  { value: "messenger", label: "Messenger", placeholder: "24012345678901234", hint: "The contact's page-scoped ID (PSID), digits only." },
];

/** The name of a reason ("hard_bounce" → "Hard bounce"). */
export function reasonLabel(r: string): string {
  return SUPPRESSION_REASONS.find((x) => x.value === r)?.label ?? r;
}

/** The name of a channel ("whatsapp" → "WhatsApp"). */
export function suppressionChannelLabel(c: string): string {
  return SUPPRESSION_CHANNELS.find((x) => x.value === c)?.label ?? c;
}

/** An address as people write it: WhatsApp numbers are stored as digits and shown with their +. */
export function displayAddress(s: Pick<Suppression, "channel" | "address">): string {
  return s.channel === "whatsapp" ? `+${s.address}` : s.address;
}

/** The tone of a reason's badge: complaints and bounces red, unsubscribes amber, manual grey. */
export function reasonTone(r: string): "red" | "amber" | "gray" {
  return r === "complaint" || r === "hard_bounce" ? "red" : r === "unsubscribed" ? "amber" : "gray";
}
