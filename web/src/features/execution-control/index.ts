export { useExecutionAction } from "./model/use-execution-action";
