export { ContactTimeline } from "./ui/contact-timeline";
export { orderTimeline } from "./ui/contact-timeline";
