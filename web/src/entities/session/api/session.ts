"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";

/** Makes another of the user's workspaces the active one. */
export function switchTenant(tenantId: string) {
  return unwrap(client.POST("/api/v1/auth/switch-tenant", { body: { tenantId } }));
}

/** After any change of who is signed in or where: drop every cached record and reload "me". */
export function useResetSession() {
  const qc = useQueryClient();
  return async () => {
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== queryKeys.me[0] });
    await qc.invalidateQueries({ queryKey: queryKeys.me });
  };
}

/** Switches the active workspace, then resets the session's cached data. */
export function useSwitchTenant() {
  const reset = useResetSession();
  return useMutation({ mutationFn: switchTenant, onSuccess: reset });
}
