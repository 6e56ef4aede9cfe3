export { SegmentEditor } from "./ui/segment-editor";
export type { SegmentEditorProps } from "./ui/segment-editor";
