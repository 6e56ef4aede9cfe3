export { useRemoveSuppression } from "./model/use-remove-suppression";
export { RemoveSuppressionButton } from "./ui/remove-suppression";
