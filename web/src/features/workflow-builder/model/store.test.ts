import { describe, expect, it } from "vitest";
import type { NodeType, Workflow } from "@/shared/api";
import { createBuilderStore } from "./store";
import { fromDefinition, toDefinition } from "./definition";

const schema = (props: Record<string, unknown> = {}, required: string[] = []) => ({ type: "object", properties: props, required });
const types: NodeType[] = [
  { type: "trigger.manual", category: "trigger", label: "Manual", description: "", configSchema: schema(), inputs: 0, outputs: [{ id: "out", label: "" }], dynamicOutputs: false, canFail: false, pure: true, waits: false },
  { type: "condition", category: "flow", label: "Condition", description: "", configSchema: schema({ expression: { type: "string" } }, ["expression"]), inputs: 1, outputs: [{ id: "true", label: "true" }, { id: "false", label: "false" }], dynamicOutputs: false, canFail: false, pure: true, waits: false },
  { type: "split", category: "flow", label: "Split", description: "", configSchema: schema({ variants: { type: "array", default: [{ name: "a", weight: 50 }, { name: "b", weight: 50 }] } }), inputs: 1, outputs: [], dynamicOutputs: true, canFail: false, pure: true, waits: false },
  { type: "http.request", category: "data", label: "HTTP", description: "", configSchema: schema({ method: { type: "string", default: "GET" } }), inputs: 1, outputs: [{ id: "out", label: "" }], dynamicOutputs: false, canFail: true, pure: false, waits: false },
  { type: "end", category: "flow", label: "End", description: "", configSchema: schema(), inputs: 1, outputs: [], dynamicOutputs: false, canFail: false, pure: true, waits: false },
];
const wf = (definition: Workflow["definition"] = { nodes: [], edges: [] }): Workflow => ({
  id: "wf1",
  name: "Test",
  description: "",
  definition,
  revision: 1,
  isActive: false,
  currentVersion: 0,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
});

function setup() {
  const store = createBuilderStore();
  store.getState().load(wf(), types);
  const s = () => store.getState();
  const trigger = s().addNode("trigger.manual", { x: 0, y: 0 });
  const cond = s().addNode("condition", { x: 0, y: 140 });
  const end = s().addNode("end", { x: 0, y: 280 });
  return { store, s, trigger, cond, end };
}

describe("builder store", () => {
  it("names nodes after their type and starts them with schema defaults", () => {
    const { s, trigger, cond } = setup();
    expect([trigger, cond]).toEqual(["trigger_manual", "condition"]);
    const http = s().addNode("http.request", { x: 0, y: 0 });
    expect(s().nodes.find((n) => n.id === http)?.data.config).toEqual({ method: "GET" });
    expect(s().addNode("condition", { x: 0, y: 0 })).toBe("condition_2");
  });

  it("connects valid handles and refuses edges into triggers, unknown handles and duplicates", () => {
    const { s, trigger, cond, end } = setup();
    expect(s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" }).ok).toBe(true);
    expect(s().connect({ source: cond, sourceHandle: "true", target: end, targetHandle: "in" }).ok).toBe(true);
    expect(s().connect({ source: cond, sourceHandle: "true", target: end, targetHandle: "in" })).toMatchObject({ ok: false });
    expect(s().connect({ source: cond, sourceHandle: "false", target: trigger, targetHandle: "in" })).toMatchObject({ ok: false, reason: expect.stringMatching(/trigger/) });
    expect(s().connect({ source: cond, sourceHandle: "maybe", target: end, targetHandle: "in" })).toMatchObject({ ok: false });
    expect(s().connect({ source: end, sourceHandle: "out", target: cond, targetHandle: "in" })).toMatchObject({ ok: false });
    expect(s().connect({ source: cond, sourceHandle: "true", target: cond, targetHandle: "in" })).toMatchObject({ ok: false });
    expect(s().edges).toHaveLength(2);
    expect(s().lastRejection).toBeTruthy();
  });

  it("gives a node that can fail an error handle and a split one handle per variant", () => {
    const { s, cond } = setup();
    const http = s().addNode("http.request", { x: 0, y: 0 });
    const split = s().addNode("split", { x: 0, y: 0 });
    expect(s().canConnect({ source: http, sourceHandle: "error", target: cond })).toBe(true);
    expect(s().canConnect({ source: split, sourceHandle: "a", target: cond })).toBe(true);
    expect(s().canConnect({ source: split, sourceHandle: "c", target: cond })).toBe(false);
    s().connect({ source: split, sourceHandle: "b", target: cond, targetHandle: "in" });
    // Removing variant b removes the edge that hung from it.
    s().updateConfig(split, { variants: [{ name: "a", weight: 100 }] });
    expect(s().edges.some((e) => e.source === split)).toBe(false);
  });

  it("replaces the edge of an output handle instead of fanning out", () => {
    const { s, trigger, cond, end } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    s().connect({ source: trigger, sourceHandle: "out", target: end, targetHandle: "in" });
    expect(s().edges.filter((e) => e.source === trigger).map((e) => e.target)).toEqual([end]);
  });

  it("undoes and redoes adds, connections, config edits and deletions", () => {
    const { s, trigger, cond } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    s().updateConfig(cond, { expression: "a" });
    s().updateConfig(cond, { expression: "ab" }); // typing coalesces into one step
    expect(s().nodes.find((n) => n.id === cond)?.data.config).toEqual({ expression: "ab" });
    s().undo();
    expect(s().nodes.find((n) => n.id === cond)?.data.config).toEqual({});
    s().undo();
    expect(s().edges).toHaveLength(0);
    s().redo();
    expect(s().edges).toHaveLength(1);
    s().select(cond);
    s().deleteSelection();
    expect(s().nodes.map((n) => n.id)).not.toContain(cond);
    expect(s().edges).toHaveLength(0);
    s().undo();
    expect(s().nodes.map((n) => n.id)).toContain(cond);
    expect(s().edges).toHaveLength(1);
    expect(s().future).toHaveLength(1);
    s().addNode("end", { x: 0, y: 0 });
    expect(s().future).toHaveLength(0);
  });

  it("counts changes for autosave and records saves", () => {
    const { s, trigger } = setup();
    const seq = s().changeSeq;
    expect(seq).toBeGreaterThan(0);
    expect(s().saveStatus).toBe("dirty");
    s().markSaving();
    s().markSaved(7, seq);
    expect(s().revision).toBe(7);
    expect(s().saveStatus).toBe("saved");
    s().updateLabel(trigger, "Start");
    expect(s().saveStatus).toBe("dirty");
    s().markSaveError("conflict", "stale");
    s().updateLabel(trigger, "Start!");
    expect(s().saveStatus).toBe("conflict");
  });

  it("marks edges named by problems and indexes node problems", () => {
    const { s, trigger, cond } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    const edgeId = s().edges[0]!.id;
    s().setProblems([
      { code: "bad_config", message: "expression is required", nodeId: cond, path: "/expression" },
      { code: "dangling", message: "edge goes nowhere", edgeId },
      { code: "no_trigger", message: "no trigger" },
    ]);
    expect(s().problemIndex.byNode.get(cond)).toHaveLength(1);
    expect(s().problemIndex.general).toHaveLength(1);
    expect(s().edges[0]!.className).toBe("nf-problem");
    s().setProblems([]);
    expect(s().edges[0]!.className).toBeUndefined();
  });
});

describe("definition mapping", () => {
  it("round-trips a definition, leaving the default handle out", () => {
    const def = {
      nodes: [
        { id: "start", type: "trigger.manual", config: {}, position: { x: 0, y: 0 } },
        { id: "vip", type: "condition", config: { expression: "x > 1" }, position: { x: 0, y: 120 }, label: "VIP?" },
        { id: "done", type: "end", config: {}, position: { x: 0, y: 240 } },
      ],
      edges: [
        { id: "e1", source: "start", target: "vip" },
        { id: "e2", source: "vip", sourceHandle: "true", target: "done" },
      ],
    };
    const { nodes, edges } = fromDefinition(def);
    expect(edges[0]!.sourceHandle).toBe("out");
    expect(toDefinition(nodes, edges)).toEqual(def);
  });
});
