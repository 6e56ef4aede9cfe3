export { messageApi, useMessages } from "./api/message-api";
export type { MessagePoll } from "./api/message-api";
export { MESSAGE_CHANNELS, MESSAGE_STATUSES, channelLabel, messageStatusTone, messageSteps, messagesByStep } from "./model/types";
export type { Message, MessageQuery, MessageStatus, StepRef } from "./model/types";
export { MessageItem } from "./ui/message-item";
export type { MessageItemProps } from "./ui/message-item";
export { MessageStatusBadge } from "./ui/message-status-badge";
