export { useAddSuppression } from "./model/use-add-suppression";
export { AddSuppressionButton } from "./ui/add-suppression";
