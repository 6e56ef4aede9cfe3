export { ContactFilterBar } from "./ui/contact-filter-bar";
export { toContactQuery, activeFilterCount, attributeParam, emptyContactFilter, ATTRIBUTE_OPS } from "./model/filter";
export type { ContactFilter, AttributeFilter, AttributeOp, DateRange, SubscriptionState } from "./model/filter";
