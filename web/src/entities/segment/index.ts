export { segmentApi, useSegments, useSegment, useSegmentPreview, useSegmentMembers, useSegmentName } from "./api/segment-api";
export type { Segment, SegmentCondition, SegmentPreview, SegmentWrite, WindowUnit } from "./model/types";
export {
  SEGMENT_MAX_DEPTH,
  SEGMENT_MAX_CONDITIONS,
  SEGMENT_FIELDS,
  SUBSCRIPTION_STATES,
  COMPARE_LABELS,
  COUNT_LABELS,
  WINDOW_UNITS,
  windowParts,
  unitSeconds,
  formatWindow,
} from "./model/types";
export { describeSegment, countConditions } from "./model/describe";
export { SegmentPicker, segmentOptionLabel } from "./ui/segment-picker";
