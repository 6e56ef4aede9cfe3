export { EditChannelButton } from "./ui/edit-channel";
