export { ConnectChannelButton } from "./ui/connect-channel";
