"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { displayAddress, suppressionApi, suppressionChannelLabel } from "@/entities/suppression";
import { queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Suppresses an address; field errors stay with the form, success is said in a toast. */
export function useAddSuppression() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: suppressionApi.create,
    onSuccess: (s) => {
      toast(`${displayAddress(s)} gets no more ${suppressionChannelLabel(s.channel)} messages.`);
      void qc.invalidateQueries({ queryKey: queryKeys.suppressions.all });
    },
  });
}
