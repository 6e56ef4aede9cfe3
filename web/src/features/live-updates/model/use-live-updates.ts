"use client";
import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { queryKeys, subscribeLive, type LiveStatus } from "@/shared/api";

/**
 * useLiveUpdates follows the server's execution stream and refreshes the
 * cached executions (list and the changed detail) and canvas counts. Bursts
 * of events are coalesced into one refresh per 300 ms; after an outage
 * everything cached is refreshed once. It returns the stream's status.
 */
export function useLiveUpdates(enabled: boolean): LiveStatus {
  const qc = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const wasDown = useRef(false);
  const pending = useRef<{ ids: Set<string>; workflows: Set<string>; timer?: ReturnType<typeof setTimeout> }>({
    ids: new Set(),
    workflows: new Set(),
  });
  useEffect(() => {
    if (!enabled) return;
    const flush = () => {
      const p = pending.current;
      p.timer = undefined;
      void qc.invalidateQueries({ queryKey: [...queryKeys.executions.all, "list"] });
      for (const id of p.ids) void qc.invalidateQueries({ queryKey: queryKeys.executions.detail(id) });
      for (const id of p.workflows) void qc.invalidateQueries({ queryKey: queryKeys.workflows.stats(id) });
      p.ids.clear();
      p.workflows.clear();
    };
    return subscribeLive(
      (e) => {
        const p = pending.current;
        if (e.executionId) p.ids.add(e.executionId);
        if (e.workflowId) p.workflows.add(e.workflowId);
        if (!p.timer) p.timer = setTimeout(flush, 300);
      },
      (next) => {
        // Back from an outage: what changed meanwhile was never announced.
        if (next === "live" && wasDown.current) void qc.invalidateQueries();
        wasDown.current = next === "reconnecting" || (wasDown.current && next !== "live");
        setStatus(next);
      },
    );
  }, [enabled, qc]);
  return status;
}
