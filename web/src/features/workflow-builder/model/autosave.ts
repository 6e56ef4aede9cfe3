"use client";
import { useCallback, useEffect, useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, isApiError, queryKeys, type Workflow } from "@/shared/api";
import type { BuilderStore } from "./store";

const DEBOUNCE_MS = 700;
/** Pauses between tries while the server cannot be reached: 1 s, 2 s, 4 s … at most 5 s. */
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 5000;

/** Whether a failed save may succeed unchanged later: the server was unreachable, overloaded or restarting. */
function transient(err: unknown): boolean {
  if (!isApiError(err)) return true; // fetch itself failed: no answer at all
  return err.status >= 500 || err.status === 408 || err.status === 429;
}

/**
 * useAutosave saves the draft a moment after each change (PUT with the
 * revision it is based on), then validates it so problems show on the
 * canvas. A 412 stops saving and keeps the server's copy for a reload:
 * someone else's work is never overwritten. When the server cannot be
 * reached the edits stay in the builder ("offline") and are saved by
 * themselves once it answers again: retried with a growing pause, and at
 * once when the browser comes back online.
 */
export function useAutosave(store: BuilderStore, enabled: boolean) {
  const qc = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const inflight = useRef<Promise<boolean> | null>(null);
  const serverCopy = useRef<Workflow | null>(null);
  const retry = useRef<{ timer?: ReturnType<typeof setTimeout>; delay: number; again?: () => void }>({ delay: RETRY_MIN_MS });

  const validate = useCallback(async () => {
    const { workflowId } = store.getState();
    if (!workflowId) return;
    try {
      const res = await workflowApi.validate(workflowId);
      store.getState().setProblems(res.problems ?? []);
    } catch {
      /* validation is advisory; the next save tries again */
    }
  }, [store]);

  const saveOnce = useCallback(async (): Promise<boolean> => {
    if (inflight.current) await inflight.current;
    const s = store.getState();
    if (!s.workflowId || s.saveStatus === "conflict") return s.saveStatus !== "conflict";
    if (s.changeSeq === s.savedSeq) return true;
    const seq = s.changeSeq;
    s.markSaving();
    const run = (async () => {
      try {
        const wf = await workflowApi.update(s.workflowId!, {
          name: s.name.trim() || "Untitled workflow",
          description: s.description,
          definition: s.definition(),
          revision: s.revision,
        });
        store.getState().markSaved(wf.revision, seq);
        qc.setQueryData(queryKeys.workflows.detail(wf.id), wf);
        void qc.invalidateQueries({ queryKey: [...queryKeys.workflows.all, "list"] });
        void validate();
        return true;
      } catch (err) {
        if (isApiError(err) && err.status === 412) {
          const current = err.problem.errors?.[0]?.value;
          serverCopy.current = current && typeof current === "object" ? (current as Workflow) : null;
          store.getState().markSaveError("conflict", errorMessage(err));
        } else if (transient(err)) {
          store.getState().markSaveError("offline", `${errorMessage(err)} Your changes are kept here and saved as soon as the server answers.`);
        } else {
          store.getState().markSaveError("error", errorMessage(err));
        }
        return false;
      } finally {
        inflight.current = null;
      }
    })();
    inflight.current = run;
    return run;
  }, [store, qc, validate]);

  /** Saves until the server has the latest change (edits made during a save are saved next). */
  const save = useCallback(async (): Promise<boolean> => {
    clearTimeout(retry.current.timer);
    for (let i = 0; i < 5; i++) {
      const ok = await saveOnce();
      const st = store.getState();
      if (ok) retry.current.delay = RETRY_MIN_MS;
      if (!ok && st.saveStatus === "offline") {
        // Try again by itself; a new edit or "online" tries sooner.
        const r = retry.current;
        clearTimeout(r.timer);
        r.timer = setTimeout(() => r.again?.(), r.delay);
        r.delay = Math.min(r.delay * 2, RETRY_MAX_MS);
      }
      if (!ok || st.changeSeq === st.savedSeq) return ok;
    }
    return false;
  }, [saveOnce, store]);
  useEffect(() => {
    retry.current.again = () => void save();
  }, [save]);

  useEffect(() => {
    if (!enabled) return;
    void validate();
    const unsub = store.subscribe((s, prev) => {
      if (s.changeSeq === prev.changeSeq || s.changeSeq === s.savedSeq) return;
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void save(), DEBOUNCE_MS);
    });
    const beforeUnload = (e: BeforeUnloadEvent) => {
      const st = store.getState();
      if (st.changeSeq !== st.savedSeq) e.preventDefault();
    };
    const online = () => {
      if (store.getState().saveStatus !== "offline") return;
      retry.current.delay = RETRY_MIN_MS;
      void save();
    };
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("online", online);
    const r = retry.current;
    return () => {
      unsub();
      clearTimeout(timer.current);
      clearTimeout(r.timer);
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("online", online);
    };
  }, [enabled, store, save, validate]);

  /** Saves now (before publishing or running); false when the draft could not be saved. */
  const saveNow = useCallback(() => {
    clearTimeout(timer.current);
    return save();
  }, [save]);

  return { saveNow, validate, serverCopy };
}
