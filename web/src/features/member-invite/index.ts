export { InviteMemberButton } from "./ui/invite-member";
