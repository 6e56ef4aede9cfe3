export { useRemoveMember, useRevokeInvitation, useSetMemberRole } from "./model/use-member-actions";
