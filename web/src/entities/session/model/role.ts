import type { Me } from "@/shared/api";

const rank: Record<string, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2, OWNER: 3 };

/** The caller's role in the active workspace. */
export function activeRole(me: Me | undefined): string | undefined {
  if (!me?.activeTenant) return undefined;
  return me.memberships?.find((m) => m.tenant.id === me.activeTenant?.id)?.role;
}

/** Whether the role is at least `min` (VIEWER < OPERATOR < ADMIN < OWNER). */
export function roleAtLeast(role: string | undefined, min: "VIEWER" | "OPERATOR" | "ADMIN" | "OWNER"): boolean {
  return (rank[role ?? ""] ?? -1) >= rank[min]!;
}

/** Whether the caller holds a permission (e.g. "workflows:write") in the active workspace. */
export function hasPermission(me: Me | undefined, permission: string): boolean {
  return (me?.permissions ?? []).includes(permission);
}
