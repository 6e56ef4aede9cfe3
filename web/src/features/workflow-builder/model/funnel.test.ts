import { describe, expect, it } from "vitest";
import { periodOf } from "./funnel";

// A zone west of UTC, so that local days and UTC days differ here.
process.env.TZ = "America/Los_Angeles";

describe("funnel periodOf", () => {
  it("runs a custom period over whole UTC days, like the analytics pages", () => {
    expect(periodOf("custom", "2026-03-01", "2026-03-02")).toEqual({
      from: "2026-03-01T00:00:00.000Z",
      to: "2026-03-03T00:00:00.000Z",
    });
  });
  it("crosses a month end in UTC", () => {
    expect(periodOf("custom", "2026-02-28", "2026-02-28")).toEqual({
      from: "2026-02-28T00:00:00.000Z",
      to: "2026-03-01T00:00:00.000Z",
    });
  });
  it("refuses a last day before the first and bad dates", () => {
    expect(periodOf("custom", "2026-03-02", "2026-03-01")).toBeNull();
    expect(periodOf("custom", "", "2026-03-01")).toBeNull();
  });
  it("ends a rolling period at the next whole minute", () => {
    const now = Date.parse("2026-03-01T10:00:30Z");
    expect(periodOf("24h", "", "", now)).toEqual({ from: "2026-02-28T10:01:00.000Z", to: "2026-03-01T10:01:00.000Z" });
  });
});
