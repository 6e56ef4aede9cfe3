import { describe, expect, it } from "vitest";
import { orderTimeline } from "./contact-timeline";

describe("orderTimeline", () => {
  it("puts the newest first and, at one instant, exit before steps before entry", () => {
    const at = "2026-12-02T15:40:18.5Z";
    const items = [
      { kind: "journey.entered", at, id: "x" },
      { kind: "step", at, id: "s1" },
      { kind: "event", at: "2026-12-02T15:30:00Z", id: "e" },
      { kind: "journey.exited", at: "2026-12-02 15:40:18.5+00:00".replace(" ", "T"), id: "x" },
    ] as Parameters<typeof orderTimeline>[0];
    expect(orderTimeline(items).map((i) => i.kind)).toEqual(["journey.exited", "step", "journey.entered", "event"]);
  });
});
