import { describe, expect, it } from "vitest";
import { countConditions, describeSegment } from "./describe";

describe("describeSegment", () => {
  it("says a definition in plain words", () => {
    expect(
      describeSegment({
        all: [
          { attribute: { key: "plan", op: "eq", value: "PRO" } },
          { performed: { event: "order.completed", op: "gte", count: 2, withinSeconds: 30 * 86_400 } },
          { performed: { event: "app.opened", op: "eq", count: 0, withinSeconds: 14 * 86_400 } },
        ],
      }),
    ).toBe('plan = "PRO" and did order.completed at least 2 times in the last 30 days and did not do app.opened in the last 14 days');
    expect(
      describeSegment({
        any: [
          { subscription: { channel: "email", state: "subscribed" } },
          { all: [{ time: { field: "lastSeenAt", olderThanSeconds: 3_600 } }, { not: { attribute: { key: "trial", op: "exists" } } }] },
        ],
      }),
    ).toBe("subscribed to email or (last seen more than 1 hour ago (or never) and trial is not set)");
    expect(describeSegment({ not: { any: [{ field: { field: "email", op: "exists" } }] } })).toBe("none of (email is set)");
  });

  it("counts conditions", () => {
    expect(countConditions({ all: [{ not: { attribute: { key: "a", op: "exists" } } }, { any: [{ field: { field: "email", op: "exists" } }] }] })).toBe(2);
  });
});
