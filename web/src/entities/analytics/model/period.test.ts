import { describe, expect, it } from "vitest";
import { daysOf, dayLabel, instants, periodOf } from "./period";

const now = Date.parse("2026-12-03T06:40:30Z");

describe("periodOf", () => {
  it("covers today and the N-1 UTC days before it; to is the day after the last", () => {
    expect(periodOf("7d", "", "", now)).toEqual({ from: "2026-11-27", to: "2026-12-04" });
    expect(periodOf("30d", "", "", now)).toEqual({ from: "2026-11-04", to: "2026-12-04" });
    expect(periodOf("90d", "", "", now)).toEqual({ from: "2026-09-05", to: "2026-12-04" });
  });

  it("runs a custom period from its first UTC day through its last", () => {
    expect(periodOf("custom", "2026-11-01", "2026-11-30", now)).toEqual({ from: "2026-11-01", to: "2026-12-01" });
    expect(periodOf("custom", "2026-11-05", "2026-11-05", now)).toEqual({ from: "2026-11-05", to: "2026-11-06" });
  });

  it("gives the instants of a period of days", () => {
    expect(instants({ from: "2026-11-01", to: "2026-12-01" })).toEqual({ from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" });
  });

  it("says what is wrong with a custom period", () => {
    expect(periodOf("custom", "", "2026-11-30", now)).toEqual({ error: "Choose a first and a last day." });
    expect(periodOf("custom", "2026-12-01", "2026-11-30", now)).toEqual({ error: "The last day is before the first day." });
    expect(periodOf("custom", "2025-01-01", "2026-11-30", now)).toEqual({ error: "A period spans at most 400 days." });
  });
});

describe("daysOf", () => {
  it("lists every UTC day the period touches, the end exclusive", () => {
    expect(daysOf("2026-11-29", "2026-12-02")).toEqual(["2026-11-29", "2026-11-30", "2026-12-01"]);
    expect(daysOf("2026-11-29T12:00:00Z", "2026-11-30T00:00:01Z")).toEqual(["2026-11-29", "2026-11-30"]);
    expect(daysOf("nonsense", "2026-11-30T00:00:00Z")).toEqual([]);
  });

  it("labels a day without the reader's zone moving it", () => {
    expect(dayLabel("2026-12-01")).toBe("Dec 1");
  });
});
