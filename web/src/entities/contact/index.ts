export { contactApi, useContacts, useContact, useContactTimeline, useContactImport, useContactLabels, isImportActive } from "./api/contact-api";
export type { Contact, Subscription, TimelineItem, ContactImport, ContactImportRowError, ContactQuery } from "./model/types";
export { contactLabel, subscriptionChannels, CHANNELS } from "./model/display";
export { SubscriptionBadge } from "./ui/subscription-badge";
