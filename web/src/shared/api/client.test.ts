import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, errorMessage, isMissingRoute, unwrap } from "./client";
import { subscribeLive } from "./live";

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
    const status: boolean[] = [];
    const stop = subscribeLive((e) => events.push(e), (c) => status.push(c));
    const instance = created[0]!;
    expect(instance.url).toBe("/api/v1/executions/stream");
    instance.onopen?.();
    listeners.change!(new MessageEvent("change", { data: JSON.stringify({ kind: "step", executionId: "x1", workflowId: "w1", status: "COMPLETED" }) }));
    expect(events).toEqual([{ kind: "step", executionId: "x1", workflowId: "w1", status: "COMPLETED", data: expect.any(Object) }]);
    expect(status).toEqual([true]);
    stop();
    expect(close).toHaveBeenCalled();
  });
});
