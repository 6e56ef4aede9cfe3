"use client";
import { createContext, useContext } from "react";
import type { BuilderState, BuilderStore } from "./store";

export const BuilderStoreContext = createContext<BuilderStore | null>(null);

/** The open builder's store. */
export function useBuilderStore(): BuilderStore {
  const s = useContext(BuilderStoreContext);
  if (!s) throw new Error("useBuilderStore outside <WorkflowBuilder>");
  return s;
}

/** Selects a slice of the open builder's state; components re-render only when it changes. */
export function useBuilder<T>(selector: (s: BuilderState) => T): T {
  return useBuilderStore()(selector);
}
