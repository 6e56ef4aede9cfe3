import { describe, expect, it } from "vitest";
import { readFilter, writeFilter } from "./filter";

const now = Date.parse("2026-12-03T06:40:00Z");

describe("analytics filter in the URL", () => {
  it("defaults to the last 30 days of every workflow and a 72 h window", () => {
    expect(readFilter(new URLSearchParams(""), now)).toEqual({
      kind: "30d",
      customFrom: "2026-11-04",
      customTo: "2026-12-03",
      workflowId: "",
      goal: "",
      within: "72h",
    });
    expect(readFilter(new URLSearchParams("period=forever"), now).kind).toBe("30d");
  });

  it("writes only what differs from the defaults and keeps other parameters", () => {
    const f = readFilter(new URLSearchParams("id=wf1"), now);
    expect(writeFilter(f, new URLSearchParams("id=wf1"))).toBe("id=wf1");
    expect(writeFilter({ ...f, kind: "custom", customFrom: "2026-11-01", customTo: "2026-11-30", goal: "order.completed", within: "168h" })).toBe(
      "period=custom&from=2026-11-01&to=2026-11-30&goal=order.completed&within=168h",
    );
    expect(writeFilter({ ...f, kind: "7d", workflowId: "abc", within: "24h" })).toBe("period=7d&workflowId=abc");
  });

  it("reads back what it wrote", () => {
    const f = { kind: "custom" as const, customFrom: "2026-10-01", customTo: "2026-10-31", workflowId: "w", goal: "signed_up", within: "24h" };
    expect(readFilter(new URLSearchParams(writeFilter(f)), now)).toEqual(f);
  });
});
