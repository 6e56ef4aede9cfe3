export { channelApi, useChannels } from "./api/channel-api";
export { channelKinds, channelStatus, CHANNEL_KINDS } from "./model/kinds";
export type { ChannelKind, ChannelConnection, ChannelCreate, ChannelUpdate, ChannelTestResult, ConfigField, SecretField } from "./model/kinds";
export { ChannelForm, channelConfigOf } from "./ui/channel-form";
export type { ChannelFormValue, ChannelFormProps } from "./ui/channel-form";
