/** One change announced by GET /api/v1/executions/stream (body: the generated LiveEventBody). */
export interface LiveEvent {
  /** What changed: "execution" or "step". */
  kind: string;
  executionId?: string;
  workflowId?: string;
  status?: string;
  data: unknown;
}

/** The server pings every 5 s; this long without any message means the connection is gone. */
export const LIVE_SILENCE_MS = 12_000;

/** How the live stream is doing: connected, or trying to reconnect after losing the server. */
export type LiveStatus = "connecting" | "live" | "reconnecting";

/**
 * subscribeLive opens the server-sent event stream of execution and step
 * changes and calls onEvent for each. A dropped stream, or one silent for
 * LIVE_SILENCE_MS (the server pings every few seconds), is reported as
 * "reconnecting" and reopened with a growing pause (1 s … 10 s). It returns
 * a function that closes the stream.
 */
export function subscribeLive(onEvent: (e: LiveEvent) => void, onStatus?: (status: LiveStatus) => void): () => void {
  if (typeof window === "undefined" || typeof EventSource === "undefined") return () => {};
  let source: EventSource | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let closed = false;

  const handle = (kind: string) => (msg: MessageEvent<string>) => {
    alive();
    let data: unknown = msg.data;
    try {
      data = JSON.parse(msg.data);
    } catch {
      /* plain text event */
    }
    const rec = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const type = str(rec.kind) ?? str(rec.type) ?? kind;
    if (type === "ping" || (rec.at !== undefined && Object.keys(rec).length === 1)) return;
    onEvent({
      kind: type,
      executionId: str(rec.executionId) ?? (kind === "execution" ? str(rec.id) : undefined),
      workflowId: str(rec.workflowId),
      status: str(rec.status),
      data,
    });
  };

  const lost = () => {
    if (closed) return;
    clearTimeout(watchdog);
    source?.close();
    source = undefined;
    onStatus?.("reconnecting");
    failures++;
    clearTimeout(retry);
    retry = setTimeout(open, Math.min(1000 * 2 ** (failures - 1), 10_000));
  };

  function alive() {
    clearTimeout(watchdog);
    watchdog = setTimeout(lost, LIVE_SILENCE_MS);
  }

  function open() {
    if (closed) return;
    const s = new EventSource("/api/v1/executions/stream", { withCredentials: true });
    source = s;
    // The server names its events "change" (an execution or step changed) and "ping" (keep-alive).
    s.onmessage = handle("message");
    s.addEventListener("change", handle("change") as EventListener);
    s.addEventListener("ping", (() => alive()) as EventListener);
    s.onopen = () => {
      failures = 0;
      alive();
      onStatus?.("live");
    };
    // The browser's own retry keeps a closed stream silent for seconds;
    // reopening ourselves reports the outage at once.
    s.onerror = lost;
    alive();
  }

  onStatus?.("connecting");
  open();
  return () => {
    closed = true;
    clearTimeout(watchdog);
    clearTimeout(retry);
    source?.close();
  };
}
