"use client";
import { useEffect, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { queryKeys, subscribeLive } from "@/shared/api";

/**
 * useLiveUpdates follows the server's execution stream and refreshes the
 * cached executions (list and the changed detail) and canvas counts. Bursts
 * of events are coalesced into one refresh per 300 ms.
 */
export function useLiveUpdates(enabled: boolean): boolean {
  const qc = useQueryClient();
  const [connected, setConnected] = useState(false);
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
      setConnected,
    );
  }, [enabled, qc]);
  return connected;
}
