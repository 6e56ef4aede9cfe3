export { SegmentJourneyCard } from "./ui/segment-journey";
