export { CreateWorkflowButton } from "./ui/create-workflow";
export { ActiveToggle, WorkflowRowActions } from "./ui/workflow-actions";
