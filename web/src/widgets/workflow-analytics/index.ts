export { WorkflowAnalytics } from "./ui/workflow-analytics";
