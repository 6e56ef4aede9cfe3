import { describe, expect, it } from "vitest";
import type { Definition, WorkflowStats } from "@/shared/api";
import { channelRows, conversionSeries, count, endShares, executionSeries, funnelRows, hasExecutions, percent, seconds, splitRows } from "./shape";
import type { ExecutionAnalytics, MessageAnalytics, SplitAnalytics } from "./types";

const execs = (days: ExecutionAnalytics["days"], now = { running: 0, waiting: 0 }): ExecutionAnalytics => ({
  from: "2026-11-29",
  to: "2026-12-02",
  days,
  totals: (days ?? []).reduce(
    (t, d) => ({ started: t.started + d.started, completed: t.completed + d.completed, failed: t.failed + d.failed, cancelled: t.cancelled + d.cancelled }),
    { started: 0, completed: 0, failed: 0, cancelled: 0 },
  ),
  now,
});

describe("executionSeries", () => {
  it("puts every UTC day of the period on the axis, quiet days at zero", () => {
    const rows = executionSeries(execs([{ day: "2026-11-30", started: 5, completed: 3, failed: 1, cancelled: 1 }]));
    expect(rows.map((r) => r.day)).toEqual(["2026-11-29", "2026-11-30", "2026-12-01"]);
    expect(rows[0]).toMatchObject({ started: 0, completed: 0, failed: 0, cancelled: 0, label: "Nov 29" });
    expect(rows[1]).toMatchObject({ started: 5, completed: 3, failed: 1, cancelled: 1 });
  });

  it("keeps a day the API names outside the period, in order", () => {
    const rows = executionSeries(execs([{ day: "2026-12-02", started: 1, completed: 0, failed: 0, cancelled: 0 }]));
    expect(rows.map((r) => r.day)).toEqual(["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
  });

  it("tells an empty period from one with executions; those under way now do not fill a past period", () => {
    expect(hasExecutions(execs(null))).toBe(false);
    expect(hasExecutions(execs([], { running: 0, waiting: 2 }))).toBe(false);
    expect(hasExecutions(execs([{ day: "2026-11-30", started: 1, completed: 0, failed: 0, cancelled: 0 }]))).toBe(true);
  });
});

describe("channelRows", () => {
  const data: MessageAnalytics = {
    from: "2026-11-29",
    to: "2026-12-02",
    channels: [
      { channel: "whatsapp", total: 5, sent: 4, delivered: 3, read: 2, failed: 1, bounced: 0, deliveryRate: 0.75, readRate: 2 / 3, failureRate: 0.2, bounceRate: 0 },
      { channel: "email", total: 10, sent: 10, delivered: 8, read: 0, failed: 0, bounced: 2, deliveryRate: 0.8, readRate: 0, failureRate: 0, bounceRate: 0.2 },
      { channel: "messenger", total: 0, sent: 0, delivered: 0, read: 0, failed: 0, bounced: 0, deliveryRate: 0, readRate: 0, failureRate: 0, bounceRate: 0 },
    ],
    days: null,
  };

  it("lists channels with messages, most sent first, with their words and rates", () => {
    const rows = channelRows(data);
    expect(rows.map((r) => [r.label, r.sent, r.deliveryRate, r.bounceRate])).toEqual([
      ["Email", 10, 0.8, 0.2],
      ["WhatsApp", 4, 0.75, 0],
    ]);
  });

  it("computes a rate the API leaves out", () => {
    const rows = channelRows({ ...data, channels: [{ ...data.channels![0]!, readRate: undefined as unknown as number }] });
    expect(rows[0]!.readRate).toBe(2 / 3);
  });
});

describe("formatting", () => {
  it("writes rates, counts and durations", () => {
    expect(percent(0.925)).toBe("92.5%");
    expect(percent(0.5)).toBe("50%");
    expect(percent(1 / 3)).toBe("33.3%");
    expect(percent(0.0004)).toBe("<0.1%");
    expect(percent(0)).toBe("0%");
    expect(percent(null)).toBe("—");
    expect(count(12345)).toBe("12,345");
    expect(seconds(42)).toBe("42 s");
    expect(seconds(600)).toBe("10 min");
    expect(seconds(5400)).toBe("1.5 h");
    expect(seconds(3 * 86_400)).toBe("3 days");
    expect(seconds(null)).toBe("—");
  });
});

describe("funnelRows", () => {
  const definition = {
    nodes: [
      { id: "done", type: "end", position: { x: 0, y: 0 } },
      { id: "ab", type: "split", label: "Subject test", position: { x: 0, y: 0 } },
      { id: "start", type: "trigger.event", position: { x: 0, y: 0 } },
      { id: "lost", type: "end", label: "Lost", position: { x: 0, y: 0 } },
      { id: "orphan", type: "delay", position: { x: 0, y: 0 } },
    ],
    edges: [
      { source: "start", target: "ab" },
      { source: "ab", sourceHandle: "a", target: "done" },
      { source: "ab", sourceHandle: "b", target: "lost" },
    ],
  } as unknown as Definition;
  const stats = {
    entries: 10,
    entered: { start: 10, ab: 10, done: 6, lost: 3, gone: 1 },
    nodes: { start: { COMPLETED: 10 }, ab: { COMPLETED: 9, FAILED: 1 }, done: { COMPLETED: 6 }, lost: { COMPLETED: 2, WAITING: 1 } },
    executions: {},
    edges: [],
    to: "2026-12-02T00:00:00Z",
  } as unknown as WorkflowStats;

  it("orders steps as the journey runs and counts each", () => {
    const rows = funnelRows(stats, definition);
    expect(rows.map((r) => r.nodeId)).toEqual(["start", "ab", "done", "lost", "orphan", "gone"]);
    expect(rows[1]).toMatchObject({ label: "Subject test", entered: 10, completed: 9, failed: 1, waiting: 0, share: 1 });
    expect(rows[3]).toMatchObject({ label: "Lost", entered: 3, completed: 2, waiting: 1, share: 0.3 });
    expect(rows[4]).toMatchObject({ entered: 0, share: 0 });
    expect(rows[5]).toMatchObject({ label: "gone (not in the draft)", entered: 1 });
  });

  it("gives each end's share of the entries, most reached first", () => {
    expect(endShares(funnelRows(stats, definition)).map((r) => [r.nodeId, r.share])).toEqual([
      ["done", 0.6],
      ["lost", 0.3],
    ]);
  });

  it("is empty until both the counts and the definition are there", () => {
    expect(funnelRows(undefined, definition)).toEqual([]);
    expect(funnelRows(stats, undefined)).toEqual([]);
  });
});

describe("splitRows", () => {
  const data: SplitAnalytics = {
    from: "2026-11-04",
    to: "2026-12-04",
    goal: "order.completed",
    within: "72h",
    splits: [
      {
        nodeId: "ab",
        label: "",
        variants: [
          { name: "a", weight: 50, entered: 10, completed: 8, failed: 2, converted: 3, conversionRate: 0.3, ends: { done: 6, lost: 2, never: 0 } },
          { name: "b", weight: 50, entered: 10, completed: 9, failed: 1, converted: 5, conversionRate: 0.5, ends: { done: 9 } },
          { name: "c", weight: 0, entered: 0, completed: 0, failed: 0, converted: 0, conversionRate: 0, ends: {} },
        ],
      },
    ],
  };

  it("marks the variant that converts best when a goal is given", () => {
    const [s] = splitRows(data, true);
    expect(s).toMatchObject({ nodeId: "ab", label: "ab", total: 20 });
    expect(s!.variants[0]!.ends).toEqual([
      { nodeId: "done", count: 6 },
      { nodeId: "lost", count: 2 },
    ]);
    expect(s!.variants.map((v) => [v.name, v.conversionRate, v.leader])).toEqual([
      ["a", 0.3, false],
      ["b", 0.5, true],
      ["c", 0, false],
    ]);
  });

  it("compares completion without a goal, and a tie leads nobody", () => {
    const [s] = splitRows(data, false);
    expect(s!.variants.map((v) => [v.completionRate, v.converted, v.leader])).toEqual([
      [0.8, null, false],
      [0.9, null, true],
      [0, null, false],
    ]);
    const tie = splitRows({ ...data, splits: [{ nodeId: "x", label: "", variants: [data.splits![0]!.variants![0]!, { ...data.splits![0]!.variants![0]!, name: "b" }] }] }, true);
    expect(tie[0]!.variants.some((v) => v.leader)).toBe(false);
  });
});

describe("conversionSeries", () => {
  it("lays the days of entry on the period", () => {
    const rows = conversionSeries(
      { from: "2026-11-29", to: "2026-12-01", goal: "order.completed", within: "72h", entries: 4, converted: 1, rate: 0.25, medianSecondsToConvert: 60, days: [{ day: "2026-11-30", entries: 4, converted: 1 }] },
      { from: "2026-11-29", to: "2026-12-01" },
    );
    expect(rows).toEqual([
      { day: "2026-11-29", label: "Nov 29", entries: 0, converted: 0 },
      { day: "2026-11-30", label: "Nov 30", entries: 4, converted: 1 },
    ]);
  });
});
