"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useResetSession } from "@/entities/session";
import { client, unwrap } from "@/shared/api";

export interface SignupBody {
  email: string;
  password: string;
  name: string;
  workspaceName: string;
}

export const authApi = {
  signup: (body: SignupBody) => unwrap(client.POST("/api/v1/auth/signup", { body })),
  login: (body: { email: string; password: string }) => unwrap(client.POST("/api/v1/auth/login", { body })),
  logout: () => unwrap(client.POST("/api/v1/auth/logout")),
  acceptInvitation: (body: { token: string; name?: string; password?: string }) =>
    unwrap(client.POST("/api/v1/invitations/accept", { body })),
};

export function useLogin() {
  const reset = useResetSession();
  return useMutation({ mutationFn: authApi.login, onSuccess: reset });
}
export function useSignup() {
  const reset = useResetSession();
  return useMutation({ mutationFn: authApi.signup, onSuccess: reset });
}
export function useAcceptInvitation() {
  const reset = useResetSession();
  return useMutation({ mutationFn: authApi.acceptInvitation, onSuccess: reset });
}
export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: authApi.logout,
    onSettled: () => qc.clear(),
  });
}
