"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { scheduleApi } from "@/entities/schedule";
import { errorMessage, queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Pause or resume (toggle), run now and delete for one schedule; each says in a toast how it went. */
export function useScheduleActions(id: string) {
  const qc = useQueryClient();
  const toast = useToast();
  const done = (msg: string) => {
    toast(msg);
    void qc.invalidateQueries({ queryKey: queryKeys.schedules.all });
  };
  const toggle = useMutation({
    mutationFn: (on: boolean) => (on ? scheduleApi.resume(id) : scheduleApi.pause(id)),
    onSuccess: (_, on) => done(on ? "Schedule resumed." : "Schedule paused."),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const run = useMutation({ mutationFn: () => scheduleApi.runNow(id), onSuccess: () => done("Started a run."), onError: (e) => toast(errorMessage(e), "error") });
  const del = useMutation({ mutationFn: () => scheduleApi.remove(id), onSuccess: () => done("Schedule deleted."), onError: (e) => toast(errorMessage(e), "error") });
  return { toggle, run, del };
}
