import { describe, expect, it } from "vitest";
import { activeFilterCount, attributeParam, emptyContactFilter, toContactQuery, type ContactFilter } from "./filter";

const f = (over: Partial<ContactFilter>): ContactFilter => ({ ...emptyContactFilter, ...over });
const localMidnight = (y: number, m: number, d: number) => new Date(y, m - 1, d).toISOString();

describe("toContactQuery", () => {
  it("leaves everything out for an empty form", () => {
    expect(toContactQuery(emptyContactFilter)).toEqual({});
    expect(activeFilterCount(emptyContactFilter)).toBe(0);
  });

  it("trims the search text and drops it when blank", () => {
    expect(toContactQuery(f({ q: "  ada@ " }))).toEqual({ q: "ada@" });
    expect(toContactQuery(f({ q: "   " }))).toEqual({});
  });

  it("sends complete attribute rows as key:op:value, exists without a value, and skips incomplete rows", () => {
    const q = toContactQuery(
      f({
        attributes: [
          { key: "plan", op: "eq", value: "pro" },
          { key: " address.city ", op: "exists", value: "ignored" },
          { key: "age", op: "gte", value: "30" },
          { key: "", op: "eq", value: "x" },
          { key: "score", op: "lt", value: "" },
          { key: "code", op: "eq", value: '"30"' },
        ],
      }),
    );
    expect(q.attr).toEqual(["plan:eq:pro", "address.city:exists", "age:gte:30", 'code:eq:"30"']);
    expect(attributeParam({ key: "a", op: "ne", value: "b:c" })).toBe("a:ne:b:c");
  });

  it("sends the subscription as channel:state only when a state is chosen", () => {
    expect(toContactQuery(f({ subscription: { channel: "email", state: "" } }))).toEqual({});
    expect(toContactQuery(f({ subscription: { channel: "whatsapp", state: "unsubscribed" } })).subscription).toEqual(["whatsapp:unsubscribed"]);
  });

  it("turns inclusive local date ranges into [after, before) instants", () => {
    const q = toContactQuery(f({ created: { from: "2026-03-01", to: "2026-03-31" }, lastSeen: { from: "", to: "2026-12-31" } }));
    expect(q.createdAfter).toBe(localMidnight(2026, 3, 1));
    expect(q.createdBefore).toBe(localMidnight(2026, 4, 1));
    expect(q.lastSeenAfter).toBeUndefined();
    expect(q.lastSeenBefore).toBe(localMidnight(2027, 1, 1));
  });

  it("ignores malformed dates", () => {
    expect(toContactQuery(f({ created: { from: "03/01/2026", to: "" } }))).toEqual({});
  });

  it("counts each narrowing filter once", () => {
    const n = activeFilterCount(
      f({
        q: "ada",
        attributes: [
          { key: "plan", op: "eq", value: "pro" },
          { key: "x", op: "eq", value: "" },
        ],
        subscription: { channel: "email", state: "subscribed" },
        created: { from: "2026-01-01", to: "2026-01-31" },
      }),
    );
    expect(n).toBe(3);
  });
});
