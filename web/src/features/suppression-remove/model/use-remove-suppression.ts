"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { displayAddress, suppressionApi, type Suppression } from "@/entities/suppression";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Lifts a suppression; says in a toast how it went. */
export function useRemoveSuppression() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (s: Suppression) => suppressionApi.remove(s),
    onSuccess: (_, s) => (toast(`${displayAddress(s)} can get messages again.`), void qc.invalidateQueries({ queryKey: queryKeys.suppressions.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}
