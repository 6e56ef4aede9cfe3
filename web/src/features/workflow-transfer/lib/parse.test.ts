import { describe, expect, it } from "vitest";
import { fileNameOf, parseWorkflowFile } from "./parse";

describe("parseWorkflowFile", () => {
  it("reads an export", () => {
    const r = parseWorkflowFile(JSON.stringify({ name: "Welcome", description: "d", definition: { nodes: [{ id: "a" }], edges: [] } }), "x.json");
    expect(r).toEqual({ ok: true, value: { name: "Welcome", description: "d", definition: { nodes: [{ id: "a" }], edges: [] } } });
  });
  it("names a bare definition after the file", () => {
    const r = parseWorkflowFile(JSON.stringify({ nodes: [], edges: [] }), "Cart reminder.nextflow.json");
    expect(r.ok && r.value.name).toBe("Cart reminder");
  });
  it("says what is wrong", () => {
    expect(parseWorkflowFile("{", "a.json")).toEqual({ ok: false, error: expect.stringContaining("a.json is not JSON") });
    expect(parseWorkflowFile("[]", "a.json")).toEqual({ ok: false, error: expect.stringContaining("not a workflow export") });
    expect(parseWorkflowFile(`{"name":"x"}`, "a.json")).toEqual({ ok: false, error: expect.stringContaining(`no "definition"`) });
    expect(parseWorkflowFile(`{"definition":{"edges":[]}}`, "a.json")).toEqual({ ok: false, error: expect.stringContaining(`no "nodes"`) });
  });
});

describe("fileNameOf", () => {
  it("slugs the name", () => {
    expect(fileNameOf("Welcome series (v2)!")).toBe("welcome-series-v2.nextflow.json");
    expect(fileNameOf("???")).toBe("workflow.nextflow.json");
  });
});
