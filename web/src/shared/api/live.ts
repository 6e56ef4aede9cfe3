/** One change announced by GET /api/v1/executions/stream (body: the generated LiveEventBody). */
export interface LiveEvent {
  /** What changed: "execution" or "step". */
  kind: string;
  executionId?: string;
  workflowId?: string;
  status?: string;
  data: unknown;
}

/**
 * subscribeLive opens the server-sent event stream of execution and step
 * changes and calls onEvent for each; the browser reconnects on its own.
 * It returns a function that closes the stream.
 */
export function subscribeLive(onEvent: (e: LiveEvent) => void, onStatus?: (connected: boolean) => void): () => void {
  if (typeof window === "undefined" || typeof EventSource === "undefined") return () => {};
  const source = new EventSource("/api/v1/executions/stream", { withCredentials: true });
  const handle = (kind: string) => (msg: MessageEvent<string>) => {
    let data: unknown = msg.data;
    try {
      data = JSON.parse(msg.data);
    } catch {
      /* plain text event */
    }
    const rec = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    onEvent({
      kind: str(rec.kind) ?? str(rec.type) ?? kind,
      executionId: str(rec.executionId) ?? (kind === "execution" ? str(rec.id) : undefined),
      workflowId: str(rec.workflowId),
      status: str(rec.status),
      data,
    });
  };
  // The server names its events "change" (an execution or step changed) and "ping" (keep-alive).
  source.onmessage = handle("message");
  source.addEventListener("change", handle("change") as EventListener);
  source.onopen = () => onStatus?.(true);
  source.onerror = () => onStatus?.(false);
  return () => source.close();
}
