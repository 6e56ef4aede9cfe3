export { ImportWorkflowButton } from "./ui/import-workflow";
export { ExportWorkflowButton } from "./ui/export-workflow";
export { StarterGalleryButton } from "./ui/starter-gallery";
export { parseWorkflowFile, fileNameOf } from "./lib/parse";
