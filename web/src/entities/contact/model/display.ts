import type { Contact } from "./types";

/** The name a person reads for a contact: name, else email, else external ID, else the ID's start. */
export function contactLabel(c: Pick<Contact, "id" | "name" | "email" | "externalId">): string {
  return c.name || c.email || c.externalId || c.id.slice(0, 8);
}

/** The channels whose consent is shown on every contact, in this order; others follow by name. */
export const CHANNELS = ["email", "whatsapp", "messenger"] as const;

/** Channel names of a contact's subscriptions: the known ones first, then any other the API holds. */
export function subscriptionChannels(subs: Contact["subscriptions"]): string[] {
  const extra = Object.keys(subs ?? {})
    .filter((k) => !(CHANNELS as readonly string[]).includes(k))
    .sort();
  return [...CHANNELS, ...extra];
}
