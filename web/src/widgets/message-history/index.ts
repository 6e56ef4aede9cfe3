export { MessageHistory } from "./ui/message-history";
export type { MessageHistoryProps } from "./ui/message-history";
