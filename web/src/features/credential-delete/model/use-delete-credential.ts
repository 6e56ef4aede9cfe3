"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { credentialApi } from "@/entities/credential";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/**
 * Deletes a credential by name. onSettled runs first whether it worked or
 * not (the server refuses while a workflow uses the credential); a toast
 * says which.
 */
export function useDeleteCredential(onSettled: () => void) {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: credentialApi.remove,
    onSuccess: () => (onSettled(), toast("Credential deleted."), void qc.invalidateQueries({ queryKey: queryKeys.credentials.all })),
    onError: (e) => (onSettled(), toast(errorMessage(e), "error")),
  });
}
