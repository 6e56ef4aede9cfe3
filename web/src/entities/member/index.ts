export { memberApi, useMembers, useInvitations } from "./api/member-api";
