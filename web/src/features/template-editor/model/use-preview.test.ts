import { describe, expect, it } from "vitest";
import { parseSampleEvent } from "./use-preview";

describe("parseSampleEvent", () => {
  it("takes an object", () => expect(parseSampleEvent('{"name":"x"}')).toEqual({ value: { name: "x" } }));
  it("takes nothing when blank", () => expect(parseSampleEvent("  ")).toEqual({}));
  it("refuses an array and bad JSON in words", () => {
    expect(parseSampleEvent("[1]").error).toMatch(/JSON object/);
    expect(parseSampleEvent("{").error).toMatch(/not valid JSON/);
  });
});
