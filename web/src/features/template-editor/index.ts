export { TemplateEditor } from "./ui/template-editor";
export type { TemplateEditorProps } from "./ui/template-editor";
export { parseSampleEvent } from "./model/use-preview";
