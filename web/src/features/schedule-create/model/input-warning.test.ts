import { describe, expect, it } from "vitest";
import { scheduleInputWarning } from "./input-warning";

describe("scheduleInputWarning", () => {
  it("warns about required input of a manual trigger", () => {
    const w = scheduleInputWarning([{ id: "t", type: "trigger.manual", config: { inputSchema: { type: "object", required: ["email", "plan"] } } }]);
    expect(w).toContain("“email”, “plan”");
  });
  it("stays quiet for a manual trigger without required fields and for schedule triggers", () => {
    expect(scheduleInputWarning([{ id: "t", type: "trigger.manual", config: {} }])).toBe("");
    expect(scheduleInputWarning([{ id: "t", type: "trigger.schedule" }, { id: "w", type: "trigger.webhook" }])).toBe("");
    expect(scheduleInputWarning([])).toBe("");
  });
  it("warns when only webhooks or events start the workflow", () => {
    expect(scheduleInputWarning([{ id: "w", type: "trigger.webhook" }])).toContain("a webhook call");
    expect(scheduleInputWarning([{ id: "e", type: "trigger.event" }])).toContain("an event");
  });
});
