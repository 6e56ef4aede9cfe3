"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { executionApi } from "@/entities/execution";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Cancels or retries one execution (mutate("cancel") or mutate("retry")); says in a toast how it went. */
export function useExecutionAction(id: string) {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (kind: "cancel" | "retry") => (kind === "cancel" ? executionApi.cancel(id) : executionApi.retry(id)),
    onSuccess: (_, kind) => {
      toast(kind === "cancel" ? "Execution cancelled." : "Retrying from the failed step.");
      void qc.invalidateQueries({ queryKey: queryKeys.executions.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
}
