"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap, type Me } from "@/shared/api";
import { hasPermission } from "../model/role";

export function fetchMe(): Promise<Me> {
  return unwrap(client.GET("/api/v1/auth/me"));
}

/** The signed-in user, their memberships and the active workspace. 401 means signed out. */
export function useMe() {
  return useQuery({ queryKey: queryKeys.me, queryFn: fetchMe, staleTime: 60_000 });
}

/** Whether the signed-in user may do something in the active workspace, e.g. useCan("workflows:write"). */
export function useCan(permission: string): boolean {
  const { data } = useMe();
  return hasPermission(data, permission);
}
