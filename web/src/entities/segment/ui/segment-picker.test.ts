import { describe, expect, it } from "vitest";
import { segmentOptionLabel } from "./segment-picker";

describe("segmentOptionLabel", () => {
  it("names a segment with its member count", () => {
    expect(segmentOptionLabel({ name: "VIP", memberCount: 1204, computedAt: "2026-12-01T00:00:00Z" })).toBe("VIP · 1,204 members");
    expect(segmentOptionLabel({ name: "One", memberCount: 1, computedAt: "2026-12-01T00:00:00Z" })).toBe("One · 1 member");
    expect(segmentOptionLabel({ name: "New", memberCount: 0 })).toBe("New · computing…");
  });
});
