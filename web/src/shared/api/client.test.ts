import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, errorMessage, isMissingRoute, unwrap } from "./client";
import { LIVE_SILENCE_MS, subscribeLive } from "./live";

describe("ApiError", () => {
  const err = new ApiError({
    title: "Unprocessable Entity",
    status: 422,
    detail: "validation failed",
    errors: [{ message: "expected length >= 10", location: "body.password", value: "short" }],
  });
  it("says what was wrong, field by field", () => {
    expect(errorMessage(err)).toBe("validation failed: expected length >= 10");
    expect(err.fieldError("password")).toBe("expected length >= 10");
    expect(err.fieldError("email")).toBeUndefined();
  });
  it("says a message once", () => {
    const e = new ApiError({ title: "Unprocessable Entity", status: 422, detail: "id: not a valid ID", errors: [{ message: "not a valid ID", location: "path.id" }] });
    expect(errorMessage(e)).toBe("id: not a valid ID");
    const twice = new ApiError({ title: "x", status: 422, detail: "validation failed", errors: [{ message: "too long" }, { message: "too long" }] });
    expect(errorMessage(twice)).toBe("validation failed: too long");
  });
  it("recognises routes the server does not have", () => {
    expect(isMissingRoute(new ApiError({ title: "Not Found", status: 404 }))).toBe(true);
    expect(isMissingRoute(err)).toBe(false);
    expect(errorMessage(new TypeError("Failed to fetch"))).toMatch(/Cannot reach/);
  });
  it("unwraps bodies and throws problems", async () => {
    const ok = await unwrap(Promise.resolve({ data: { id: "1" }, response: new Response(null, { status: 200 }) }));
    expect(ok).toEqual({ id: "1" });
    await expect(
      unwrap(Promise.resolve({ error: { title: "Precondition Failed", status: 412 }, response: new Response(null, { status: 412 }) })),
    ).rejects.toMatchObject({ status: 412, problem: { title: "Precondition Failed" } });
    await expect(unwrap(Promise.resolve({ error: "boom", response: new Response(null, { status: 502, statusText: "Bad Gateway" }) }))).rejects.toMatchObject({
      status: 502,
      message: "Bad Gateway",
    });
  });
});

describe("subscribeLive", () => {
  afterEach(() => vi.unstubAllGlobals());
  it("parses the server's change events and closes the stream", () => {
    const listeners: Record<string, (e: MessageEvent<string>) => void> = {};
    const close = vi.fn();
    class FakeEventSource {
      url: string;
      onmessage: ((e: MessageEvent<string>) => void) | null = null;
      onopen: (() => void) | null = null;
      onerror: (() => void) | null = null;
      constructor(url: string) {
        this.url = url;
        created.push(this);
      }
      addEventListener(name: string, fn: (e: MessageEvent<string>) => void) {
        listeners[name] = fn;
      }
      close = close;
    }
    const created: FakeEventSource[] = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    const events: unknown[] = [];
    const status: string[] = [];
    const stop = subscribeLive((e) => events.push(e), (c) => status.push(c));
    const instance = created[0]!;
    expect(instance.url).toBe("/api/v1/executions/stream");
    instance.onopen?.();
    listeners.change!(new MessageEvent("change", { data: JSON.stringify({ kind: "step", executionId: "x1", workflowId: "w1", status: "COMPLETED" }) }));
    expect(events).toEqual([{ kind: "step", executionId: "x1", workflowId: "w1", status: "COMPLETED", data: expect.any(Object) }]);
    expect(status).toEqual(["connecting", "live"]);
    stop();
    expect(close).toHaveBeenCalled();
  });

  it("reports reconnecting at once when the stream drops, and after a silence", () => {
    vi.useFakeTimers();
    const created: Array<{ onopen: (() => void) | null; onerror: (() => void) | null }> = [];
    class FakeEventSource {
      onmessage = null;
      onopen: (() => void) | null = null;
      onerror: (() => void) | null = null;
      constructor() {
        created.push(this);
      }
      addEventListener() {}
      close() {}
    }
    vi.stubGlobal("EventSource", FakeEventSource);
    const status: string[] = [];
    const stop = subscribeLive(() => {}, (s) => status.push(s));
    created[0]!.onopen?.();
    created[0]!.onerror?.();
    expect(status).toEqual(["connecting", "live", "reconnecting"]);
    vi.advanceTimersByTime(1000);
    expect(created).toHaveLength(2);
    created[1]!.onopen?.();
    expect(status.at(-1)).toBe("live");
    vi.advanceTimersByTime(LIVE_SILENCE_MS + 1);
    expect(status.at(-1)).toBe("reconnecting");
    stop();
    vi.useRealTimers();
  });
});
