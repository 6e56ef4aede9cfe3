export { DeleteSegmentButton } from "./ui/delete-segment";
