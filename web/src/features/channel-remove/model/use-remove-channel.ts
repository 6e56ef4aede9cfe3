"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { channelApi } from "@/entities/channel";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Removes a channel by ID; says in a toast how it went. */
export function useRemoveChannel() {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: channelApi.remove,
    onSuccess: () => (toast("Channel removed."), void qc.invalidateQueries({ queryKey: queryKeys.channels.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
}
