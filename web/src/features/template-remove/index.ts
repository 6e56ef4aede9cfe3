export { RemoveTemplateButton } from "./ui/remove-template";
