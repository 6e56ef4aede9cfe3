export { ExecutionTimeline, JsonBlock } from "./ui/execution-timeline";
