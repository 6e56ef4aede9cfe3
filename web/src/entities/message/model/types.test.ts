import { describe, expect, it } from "vitest";
import { messagesByStep, messageSteps, messageStatusTone, type Message } from "./types";

const base: Message = { id: "m1", channel: "email", recipient: "a@example.com", status: "read", queuedAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:09Z" };

describe("messageSteps", () => {
  it("lists each status a message reached with its time, in order", () => {
    const m = { ...base, sentAt: "2026-01-01T00:00:01Z", deliveredAt: "2026-01-01T00:00:05Z", readAt: "2026-01-01T00:00:09Z" };
    expect(messageSteps(m).map((s) => s.status)).toEqual(["queued", "sent", "delivered", "read"]);
    expect(messageSteps(m)[2]?.at).toBe("2026-01-01T00:00:05Z");
  });
  it("ends a skipped message at skipped", () => {
    expect(messageSteps({ ...base, status: "skipped", skippedAt: "2026-01-01T00:00:01Z" }).map((s) => s.status)).toEqual(["queued", "skipped"]);
  });
});

describe("messageStatusTone", () => {
  it("marks failures red and skips amber", () => {
    expect(messageStatusTone("bounced")).toBe("red");
    expect(messageStatusTone("failed")).toBe("red");
    expect(messageStatusTone("skipped")).toBe("amber");
    expect(messageStatusTone("delivered")).toBe("green");
  });
});

describe("messagesByStep", () => {
  const m = (id: string, nodeId: string): Message => ({ ...base, id, nodeId });
  it("puts a message on the step whose output names it, even when a node ran twice", () => {
    const steps = [
      { seq: 1, nodeId: "send", output: { messageId: "a" } },
      { seq: 2, nodeId: "wait" },
      { seq: 3, nodeId: "send", output: { messageId: "b" } },
    ];
    const got = messagesByStep(steps, [m("b", "send"), m("a", "send")]);
    expect(got.get(1)?.map((x) => x.id)).toEqual(["a"]);
    expect(got.get(3)?.map((x) => x.id)).toEqual(["b"]);
    expect(got.get(2)).toBeUndefined();
  });
  it("falls back to the node's last visit when no output names the message", () => {
    const steps = [
      { seq: 1, nodeId: "send", output: { skipped: true } },
      { seq: 2, nodeId: "send" },
    ];
    expect(messagesByStep(steps, [m("c", "send")]).get(2)?.map((x) => x.id)).toEqual(["c"]);
  });
  it("leaves out messages of nodes the execution did not visit", () => {
    expect(messagesByStep([{ seq: 1, nodeId: "a" }], [m("x", "other")]).size).toBe(0);
  });
});
