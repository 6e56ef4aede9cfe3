import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import type { ExecutionStep } from "@/shared/api";
import { ExecutionTimeline } from "./execution-timeline";

const base: ExecutionStep = {
  id: "s1",
  seq: 2,
  nodeId: "call",
  nodeType: "http.request",
  status: "COMPLETED",
  attempt: 1,
  startedAt: "2026-12-02T08:00:00Z",
  finishedAt: "2026-12-02T08:00:01Z",
};

describe("ExecutionTimeline side-effect attempts", () => {
  it("says how many times a call was attempted under its key, and flags a repeat", () => {
    const step: ExecutionStep = { ...base, effect: { idempotencyKey: "exec-1:2", attempts: 2, status: "DONE", lastAttemptAt: "2026-12-02T08:00:00Z" } };
    render(<ExecutionTimeline steps={[step]} />);
    expect(screen.getByText("called ×2")).toBeTruthy();
    fireEvent.click(screen.getByRole("button"));
    const effect = screen.getByTestId("step-effect");
    expect(effect.getAttribute("data-attempts")).toBe("2");
    expect(effect.textContent).toContain("Attempted 2 times under key");
    expect(effect.textContent).toContain("exec-1:2");
    expect(effect.textContent).toContain("may have received it 2 times");
  });

  it("shows a single attempt without alarm, and nothing for steps without a side effect", () => {
    const call: ExecutionStep = { ...base, effect: { idempotencyKey: "exec-1:2", attempts: 1, status: "DONE" } };
    const pure: ExecutionStep = { ...base, id: "s0", seq: 1, nodeId: "start", nodeType: "trigger.manual" };
    render(<ExecutionTimeline steps={[pure, call]} />);
    expect(screen.queryByText(/called ×/)).toBeNull();
    for (const b of screen.getAllByRole("button")) fireEvent.click(b);
    const effects = screen.getAllByTestId("step-effect");
    expect(effects).toHaveLength(1);
    expect(effects[0]?.textContent).toContain("Attempted 1 time under key");
    expect(effects[0]?.textContent).not.toContain("may have received");
  });
});
