export { TestChannelButton } from "./ui/test-channel";
