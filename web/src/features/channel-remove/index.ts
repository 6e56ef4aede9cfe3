export { useRemoveChannel } from "./model/use-remove-channel";
export { RemoveChannelButton } from "./ui/remove-channel";
