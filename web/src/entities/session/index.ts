export { useMe, fetchMe } from "./api/me";
export { activeRole, roleAtLeast, hasPermission } from "./model/role";
export { useCan } from "./api/me";
export { switchTenant, useResetSession, useSwitchTenant } from "./api/session";
