export { channelApi, useChannels } from "./api/channel-api";
