export { useMe, fetchMe } from "./api/me";
export { activeRole, roleAtLeast } from "./model/role";
