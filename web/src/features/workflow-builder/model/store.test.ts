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

describe("building faster", () => {
  it("adds a step from an output handle, connected, as one undo step", () => {
    const { s, trigger, cond } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    const id = s().insertStep("http.request", { position: { x: 0, y: 280 }, from: { source: cond, sourceHandle: "false" } })!;
    expect(s().edges.some((e) => e.source === cond && e.sourceHandle === "false" && e.target === id)).toBe(true);
    expect(s().nodes.find((n) => n.id === id)?.selected).toBe(true);
    s().undo();
    expect(s().nodes.map((n) => n.id)).not.toContain(id);
    expect(s().edges).toHaveLength(1);
  });

  it("splices a step into an edge and moves what follows down", () => {
    const { s, trigger, cond, end } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    s().connect({ source: cond, sourceHandle: "true", target: end, targetHandle: "in" });
    const edge = s().edges.find((e) => e.source === cond)!;
    const endY = s().nodes.find((n) => n.id === end)!.position.y;
    const id = s().insertStep("http.request", { position: { x: 0, y: 250 }, spliceEdge: edge.id })!;
    const pairs = s().edges.map((e) => `${e.source}:${e.sourceHandle}>${e.target}`);
    expect(pairs).toContain(`${cond}:true>${id}`);
    expect(pairs).toContain(`${id}:out>${end}`);
    expect(pairs).not.toContain(`${cond}:true>${end}`);
    expect(s().nodes.find((n) => n.id === end)!.position.y).toBe(endY + 140);
    s().undo();
    expect(s().edges.map((e) => `${e.source}>${e.target}`)).toContain(`${cond}>${end}`);
    expect(s().nodes.find((n) => n.id === end)!.position.y).toBe(endY);
  });

  it("inserts in between when the handle already leads somewhere", () => {
    const { s, trigger, cond } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    const id = s().insertStep("http.request", { position: { x: 0, y: 70 }, from: { source: trigger, sourceHandle: "out" } })!;
    expect(s().edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual([`${id}>${cond}`, `${trigger}>${id}`].sort());
  });

  it("copies, pastes and duplicates several steps with their inner edges and new ids", () => {
    const { s, trigger, cond, end } = setup();
    s().connect({ source: trigger, sourceHandle: "out", target: cond, targetHandle: "in" });
    s().connect({ source: cond, sourceHandle: "true", target: end, targetHandle: "in" });
    s().onNodesChange([cond, end].map((id) => ({ type: "select" as const, id, selected: true })));
    expect(s().copySelection()).toBe(2);
    const ids = s().pasteClipboard();
    expect(ids).toEqual(["condition_2", "end_2"]);
    expect(s().edges.filter((e) => ids.includes(e.source) || ids.includes(e.target)).map((e) => `${e.source}:${e.sourceHandle}>${e.target}`)).toEqual(["condition_2:true>end_2"]);
    const orig = s().nodes.find((n) => n.id === cond)!.position;
    expect(s().nodes.find((n) => n.id === "condition_2")!.position).toEqual({ x: orig.x + 40, y: orig.y + 40 });
    expect(s().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(ids);
    // A second paste lands further away; a paste at a point puts the copy's corner there.
    expect(s().pasteClipboard()).toEqual(["condition_3", "end_3"]);
    expect(s().nodes.find((n) => n.id === "condition_3")!.position).toEqual({ x: orig.x + 80, y: orig.y + 80 });
    s().pasteClipboard({ x: 1000, y: 500 });
    expect(s().nodes.find((n) => n.id === "condition_4")!.position).toEqual({ x: 1000, y: 500 });
    s().undo();
    expect(s().nodes.map((n) => n.id)).not.toContain("condition_4");
    // Duplicate (Ctrl+D) copies the selection in place, one undo step.
    const before = s().nodes.length;
    const dup = s().duplicateSelection();
    expect(dup).toHaveLength(2);
    expect(s().nodes).toHaveLength(before + 2);
    s().undo();
    expect(s().nodes).toHaveLength(before);
    // Config is copied, not shared.
    s().updateConfig("condition_2", { expression: "changed" });
    expect(s().nodes.find((n) => n.id === cond)!.data.config).not.toEqual({ expression: "changed" });
  });

  it("applies a layout as one undoable step", () => {
    const { s, trigger, cond } = setup();
    s().applyLayout({ [trigger]: { x: 500, y: 0 }, [cond]: { x: 500, y: 200 } });
    expect(s().nodes.find((n) => n.id === cond)!.position).toEqual({ x: 500, y: 200 });
    s().undo();
    expect(s().nodes.find((n) => n.id === cond)!.position).toEqual({ x: 0, y: 140 });
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
