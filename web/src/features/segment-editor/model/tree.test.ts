import { describe, expect, it } from "vitest";
import type { SegmentCondition } from "@/entities/segment";
import { attributeValueText, canNest, errorTarget, fromDefinition, newGroup, newLeaf, parseAttributeValue, toDefinition, updateNode, type GroupNode } from "./tree";

const pro: SegmentCondition = { attribute: { key: "plan", op: "eq", value: "PRO" } };
const orders: SegmentCondition = { performed: { event: "order.completed", op: "gte", count: 2, withinSeconds: 30 * 86_400 } };
const quiet: SegmentCondition = { performed: { event: "app.opened", op: "eq", count: 0, withinSeconds: 14 * 86_400 } };

describe("segment form", () => {
  it("round-trips definitions the form can show, negations included", () => {
    const defs: SegmentCondition[] = [
      { all: [pro, orders] },
      { any: [pro, { all: [orders, quiet] }] },
      { not: { any: [pro, orders] } },
      { not: { all: [pro, orders] } },
      { all: [{ not: { attribute: { key: "trial", op: "exists" } } }, { not: { field: { field: "email", op: "exists" } } }] },
      { all: [{ subscription: { channel: "email", state: "unsubscribed" } }, { time: { field: "lastSeenAt", olderThanSeconds: 7_200 } }] },
      { all: [{ performed: { event: "login", op: "lt", count: 3 } }, { time: { field: "createdAt", withinSeconds: 90 } }] },
      { all: [{ attribute: { key: "age", op: "gte", value: 30 } }, { attribute: { key: "zip", op: "eq", value: "30" } }, { attribute: { key: "vip", op: "eq", value: true } }] },
      { all: [{ not: pro }] },
    ];
    for (const d of defs) expect(toDefinition(fromDefinition(d)).definition).toEqual(d);
  });

  it("puts a bare condition in an all group and writes the group back", () => {
    const form = fromDefinition(pro);
    expect(form.join).toBe("all");
    expect(toDefinition(form).definition).toEqual({ all: [pro] });
  });

  it("reads values as the contacts filter does", () => {
    expect(parseAttributeValue("30")).toBe(30);
    expect(parseAttributeValue("-1.5")).toBe(-1.5);
    expect(parseAttributeValue("true")).toBe(true);
    expect(parseAttributeValue('"30"')).toBe("30");
    expect(parseAttributeValue("PRO")).toBe("PRO");
    expect(parseAttributeValue("1e")).toBe("1e");
    for (const v of ["30", "true", "PRO", '"quoted"', 30, false]) expect(parseAttributeValue(attributeValueText(v))).toEqual(v);
  });

  it("holds back an incomplete definition and names the incomplete conditions", () => {
    const root = newGroup("all", [newLeaf("attribute"), { ...newLeaf("performed"), event: "x", count: "" } as never]);
    const s = toDefinition(root);
    expect(s.definition).toBeNull();
    expect([...s.incomplete]).toEqual(root.items.map((n) => n.key));
    expect(toDefinition(newGroup("all", [])).definition).toBeNull();
  });

  it("places a server error on the condition its path names", () => {
    const form = fromDefinition({ all: [pro, { any: [orders, { time: { field: "createdAt", withinSeconds: 60 } }] }] });
    const s = toDefinition(form);
    const group = form.items[1] as GroupNode;
    const time = group.items[1]!;
    expect(errorTarget({ detail: "invalid segment: all[1].any[1]: time createdAt: set exactly one" }, s.paths)).toEqual({
      key: time.key,
      message: "Time createdAt: set exactly one",
    });
    expect(errorTarget({ detail: "x", errors: [{ location: "body.definition.all[1].any[0].performed.count", message: "expected number" }] }, s.paths)?.key).toBe(group.items[0]!.key);
    expect(errorTarget({ detail: "invalid segment definition: the root: more than 50 conditions" }, s.paths)?.key).toBe(form.key);
    expect(errorTarget({ detail: "a segment with this name exists" }, s.paths)).toBeNull();
    expect(errorTarget({ detail: "invalid segment: name is required" }, s.paths)).toBeNull();
    // A negated exists test answers on its inner path too.
    const neg = fromDefinition({ all: [{ not: { attribute: { key: "bad key", op: "exists" } } }] });
    expect(errorTarget({ detail: "invalid segment definition: all[0].not: attribute key" }, toDefinition(neg).paths)?.key).toBe(neg.items[0]!.key);
  });

  it("tracks depth so groups nest only within the server's bound", () => {
    let root = newGroup("all", [newLeaf("subscription")]);
    let inner = root;
    for (let i = 0; i < 3; i++) {
      const g = newGroup("any", [newLeaf("subscription")]);
      root = updateNode(root, inner.key, (n) => ({ ...(n as GroupNode), items: [...(n as GroupNode).items, g] }));
      inner = g;
    }
    const s = toDefinition(root);
    expect(canNest(s, root.key)).toBe(true);
    expect(canNest(s, inner.key)).toBe(false); // its conditions are at depth 5
  });

  it("removes a node by key", () => {
    const root = fromDefinition({ all: [pro, orders] });
    const out = updateNode(root, root.items[0]!.key, () => null);
    expect(toDefinition(out).definition).toEqual({ all: [orders] });
  });
});
