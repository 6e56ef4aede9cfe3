import { describe, expect, it } from "vitest";
import { formatInZone } from "./timezone";

describe("formatInZone", () => {
  it("shows the wall-clock time of the schedule's zone", () => {
    const iso = "2026-03-02T08:00:00Z"; // a Monday
    expect(formatInZone(iso, "Europe/Berlin", "en-GB")).toBe("Mon 2 Mar, 09:00");
    expect(formatInZone(iso, "America/New_York", "en-GB")).toBe("Mon 2 Mar, 03:00");
  });
  it("falls back to UTC for an unknown zone and a dash for no time", () => {
    expect(formatInZone("2026-03-02T08:00:00Z", "Mars/Base", "en-GB")).toBe("Mon 2 Mar, 08:00 UTC");
    expect(formatInZone(undefined, "UTC")).toBe("—");
  });
});
