"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memberApi } from "@/entities/member";
import { errorMessage, queryKeys, type Role } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Changes a member's role; says so in a toast. */
export function useSetMemberRole() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) => memberApi.setRole(userId, role),
    onSuccess: () => (toast("Role updated."), void qc.invalidateQueries({ queryKey: queryKeys.members.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}

/** Removes a member from the workspace; says so in a toast. */
export function useRemoveMember() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: memberApi.remove,
    onSuccess: () => (toast("Member removed."), void qc.invalidateQueries({ queryKey: queryKeys.members.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}

/** Revokes a pending invitation; says so in a toast. */
export function useRevokeInvitation() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: memberApi.revoke,
    onSuccess: () => (toast("Invitation revoked."), void qc.invalidateQueries({ queryKey: queryKeys.invitations.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}
