"use client";
import { useQuery } from "@tanstack/react-query";
import { client, isApiError, queryKeys, unwrap, type Execution, type ValidationProblem } from "@/shared/api";
import type { components } from "@/shared/api/schema";

/** A workflow's pinned sample data: what a test run and "run this step" start from. */
export type TestData = components["schemas"]["TestDataDTO"];
export type TestOptions = components["schemas"]["TestOptionsDTO"];
/** One node rendered against the sample context. */
export type StepPreview = components["schemas"]["StepPreview"];

/** The test-run operations of the API, through the generated client. */
export const testRunApi = {
  getData: (id: string) => unwrap(client.GET("/api/v1/workflows/{id}/test-data", { params: { path: { id } } })),
  saveData: (id: string, body: TestData) => unwrap(client.PUT("/api/v1/workflows/{id}/test-data", { params: { path: { id } }, body })),
  start: (id: string, body?: TestData) => unwrap(client.POST("/api/v1/workflows/{id}/test-runs", { params: { path: { id } }, body })),
  preview: (id: string, body: { nodeId: string; executionId?: string; sample?: TestData }) =>
    unwrap(client.POST("/api/v1/workflows/{id}/test-runs/preview-step", { params: { path: { id } }, body })),
  latest: async (workflowId: string): Promise<Execution | null> => {
    const page = await unwrap(client.GET("/api/v1/executions", { params: { query: { workflowId, test: "true", limit: 1 } } }));
    return page.items?.[0] ?? null;
  },
  execution: (id: string) => unwrap(client.GET("/api/v1/executions/{id}", { params: { path: { id } } })),
};

export const testRunKeys = {
  data: (id: string) => [...queryKeys.workflows.all, "test-data", id] as const,
  latest: (id: string) => [...queryKeys.executions.all, "latest-test", id] as const,
};

export function useTestData(workflowId: string, enabled = true) {
  return useQuery({ queryKey: testRunKeys.data(workflowId), queryFn: () => testRunApi.getData(workflowId), enabled, staleTime: 30_000 });
}

/** The newest test run of a workflow (null when none). */
export function useLatestTestRun(workflowId: string, enabled = true) {
  return useQuery({ queryKey: testRunKeys.latest(workflowId), queryFn: () => testRunApi.latest(workflowId), enabled });
}

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** An execution, polled while it runs (a test run is short: skipped delays end at once). */
export function useRunningExecution(id: string | null) {
  return useQuery({
    queryKey: queryKeys.executions.detail(id ?? ""),
    queryFn: () => testRunApi.execution(id!),
    enabled: !!id,
    refetchInterval: (q) => (q.state.data && TERMINAL.has(q.state.data.status) ? false : 600),
  });
}

/** The draft's validation problems a 422 carries in errors[].value. */
export function testRunProblems(err: unknown): ValidationProblem[] | null {
  if (!isApiError(err) || err.status !== 422) return null;
  const ps = (err.problem.errors ?? [])
    .map((e) => e.value)
    .filter((v): v is ValidationProblem => !!v && typeof v === "object" && "code" in (v as object) && "message" in (v as object));
  return ps.length ? ps : null;
}

/** Parses a JSON object typed in a text area; "" is undefined. */
export function parseObject(text: string, what: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${what}: must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Splits an allow-list typed as text (commas, spaces or lines). */
export function parseRecipients(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

/** A skipped step's reason, when the step's output says it was skipped. */
export function skippedReason(output: unknown, input?: unknown): string | null {
  for (const v of [output, input]) {
    if (v && typeof v === "object" && (v as Record<string, unknown>).skipped === true) {
      const r = (v as Record<string, unknown>).reason;
      return typeof r === "string" ? r : "skipped";
    }
  }
  return null;
}
