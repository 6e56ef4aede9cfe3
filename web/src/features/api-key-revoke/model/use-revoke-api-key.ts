"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { apiKeyApi } from "@/entities/api-key";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Revokes an API key by ID; onRevoked runs before the toast that says so. */
export function useRevokeApiKey(onRevoked: () => void) {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: apiKeyApi.revoke,
    onSuccess: () => (onRevoked(), toast("Key revoked. Requests using it now fail."), void qc.invalidateQueries({ queryKey: queryKeys.apiKeys.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}
