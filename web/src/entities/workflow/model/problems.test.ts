import { describe, expect, it } from "vitest";
import { indexProblems, problemsByField } from "./problems";
import { outputHandles, sameHandle } from "./handles";

describe("problem mapping", () => {
  it("sorts problems onto nodes, edges and the rest", () => {
    const idx = indexProblems([
      { code: "a", message: "one", nodeId: "n1" },
      { code: "b", message: "two", nodeId: "n1", path: "/url" },
      { code: "c", message: "three", edgeId: "e1" },
      { code: "d", message: "four" },
    ]);
    expect(idx.byNode.get("n1")?.map((p) => p.code)).toEqual(["a", "b"]);
    expect(idx.byEdge.get("e1")?.[0]?.message).toBe("three");
    expect(idx.general.map((p) => p.code)).toEqual(["d"]);
  });

  it("maps JSON pointers to the top-level form field", () => {
    expect(
      problemsByField([
        { code: "x", message: "url is required", path: "/url" },
        { code: "y", message: "weight must be positive", path: "/variants/1/weight" },
        { code: "z", message: "no path" },
      ]),
    ).toEqual({ url: "url is required", variants: "weight must be positive" });
  });
});

describe("output handles", () => {
  const base = { category: "ai", label: "", description: "", configSchema: {}, inputs: 1, dynamicOutputs: true, pure: false, waits: false };
  it("gives ai.classify one handle per label plus other and error", () => {
    const hs = outputHandles({ ...base, type: "ai.classify", outputs: [], canFail: true }, { labels: ["billing", "bug"] });
    expect(hs.map((h) => h.id)).toEqual(["billing", "bug", "other", "error"]);
  });
  it("treats the empty handle and out as one", () => {
    expect(sameHandle("", "out")).toBe(true);
    expect(sameHandle(undefined, "out")).toBe(true);
    expect(sameHandle("true", "out")).toBe(false);
  });
});
