export { suppressionApi, useSuppressions } from "./api/suppression-api";
export { SUPPRESSION_CHANNELS, SUPPRESSION_REASONS, displayAddress, reasonLabel, reasonTone, suppressionChannelLabel } from "./model/types";
export type { Suppression, SuppressionChannel, SuppressionQuery, SuppressionReason } from "./model/types";
export { SuppressionReasonBadge } from "./ui/reason-badge";
