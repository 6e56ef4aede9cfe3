"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap, type Role } from "@/shared/api";

export const memberApi = {
  list: async () => (await unwrap(client.GET("/api/v1/members"))) ?? [],
  setRole: (userId: string, role: Role) => unwrap(client.PATCH("/api/v1/members/{userId}", { params: { path: { userId } }, body: { role } })),
  remove: (userId: string) => unwrap(client.DELETE("/api/v1/members/{userId}", { params: { path: { userId } } })),
  invitations: async () => (await unwrap(client.GET("/api/v1/invitations"))) ?? [],
  invite: (body: { email: string; role: Role }) => unwrap(client.POST("/api/v1/invitations", { body })),
  revoke: (id: string) => unwrap(client.DELETE("/api/v1/invitations/{id}", { params: { path: { id } } })),
};

export function useMembers() {
  return useQuery({ queryKey: queryKeys.members.all, queryFn: memberApi.list });
}
export function useInvitations() {
  return useQuery({ queryKey: queryKeys.invitations.all, queryFn: memberApi.invitations });
}
