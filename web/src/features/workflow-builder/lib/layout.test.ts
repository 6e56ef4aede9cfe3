import { describe, expect, it } from "vitest";
import { tidyLayout } from "./layout";

describe("tidy layout", () => {
  const at = (x: number, y: number) => ({ x, y });
  it("stacks a chain top to bottom and keeps the first node where it was", () => {
    const pos = tidyLayout(
      [
        { id: "start", position: at(300, 40) },
        { id: "wait", position: at(900, 900) },
        { id: "done", position: at(-400, 10) },
      ],
      [
        { source: "start", target: "wait" },
        { source: "wait", target: "done" },
      ],
    );
    expect(pos.start).toEqual(at(300, 40));
    expect(pos.wait!.x).toBe(300);
    expect(pos.done!.x).toBe(300);
    expect(pos.wait!.y).toBeGreaterThan(pos.start!.y + 72);
    expect(pos.done!.y).toBeGreaterThan(pos.wait!.y + 72);
  });

  it("puts a condition's branches side by side in handle order, without overlap", () => {
    const pos = tidyLayout(
      [
        { id: "start", position: at(0, 0) },
        { id: "vip", position: at(0, 0) },
        { id: "yes", position: at(0, 0) },
        { id: "no", position: at(0, 0) },
      ],
      [
        { source: "start", target: "vip" },
        { source: "vip", target: "no", order: 1 },
        { source: "vip", target: "yes", order: 0 },
      ],
    );
    expect(pos.yes!.y).toBe(pos.no!.y);
    expect(pos.yes!.x).toBeLessThan(pos.no!.x);
    expect(Math.abs(pos.yes!.x - pos.no!.x)).toBeGreaterThanOrEqual(240);
    for (const p of Object.values(pos)) expect(p.x % 10 === 0 && p.y % 10 === 0).toBe(true);
  });
});
