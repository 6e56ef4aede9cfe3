import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { SchemaForm } from "./schema-form";
import { fieldKind, type JsonSchema } from "../lib/json-schema";

const schema: JsonSchema = {
  type: "object",
  required: ["url"],
  properties: {
    url: { type: "string", title: "URL", description: "Where to send it" },
    method: { type: "string", enum: ["GET", "POST"], default: "GET" },
    timeoutSeconds: { type: "integer", minimum: 1 },
    followRedirects: { type: "boolean" },
    body: { type: "string" },
    variants: {
      type: "array",
      items: { type: "object", required: ["name"], properties: { name: { type: "string" }, weight: { type: "number", default: 50 } } },
    },
    labels: { type: "array", items: { type: "string" } },
    retry: { type: "object", properties: { attempts: { type: "integer" } } },
    headers: { type: "object", additionalProperties: { type: "string" } },
    schema: { type: "object" },
  },
};

function Harness({ onChange, initial = {} }: { onChange: (v: Record<string, unknown>) => void; initial?: Record<string, unknown> }) {
  const [v, setV] = useState<Record<string, unknown>>(initial);
  return (
    <SchemaForm
      schema={schema}
      value={v}
      errors={{ url: "url is required" }}
      onChange={(next) => {
        setV(next);
        onChange(next);
      }}
    />
  );
}

describe("SchemaForm", () => {
  it("picks a control per schema", () => {
    const p = schema.properties!;
    expect(fieldKind(p.url, "url")).toBe("string");
    expect(fieldKind(p.body, "body")).toBe("text");
    expect(fieldKind(p.method)).toBe("enum");
    expect(fieldKind(p.timeoutSeconds)).toBe("integer");
    expect(fieldKind(p.followRedirects)).toBe("boolean");
    expect(fieldKind(p.variants)).toBe("array-objects");
    expect(fieldKind(p.labels)).toBe("array-strings");
    expect(fieldKind(p.retry)).toBe("object");
    expect(fieldKind(p.headers)).toBe("map");
    expect(fieldKind(p.schema)).toBe("json");
  });

  it("renders labeled fields with errors and reports typed values", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const url = screen.getByLabelText(/URL/);
    expect(url).toHaveProperty("required", false);
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("url is required")).toBeTruthy();
    fireEvent.change(url, { target: { value: "https://example.com" } });
    expect(onChange).toHaveBeenLastCalledWith({ url: "https://example.com" });

    fireEvent.change(screen.getByTestId("field-timeoutSeconds"), { target: { value: "30" } });
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ timeoutSeconds: 30 });

    fireEvent.change(screen.getByTestId("field-method"), { target: { value: "1" } });
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ method: "POST" });

    fireEvent.click(screen.getByTestId("field-followRedirects"));
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ followRedirects: true });

    fireEvent.change(screen.getByTestId("field-retry.attempts"), { target: { value: "3" } });
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ retry: { attempts: 3 } });
  });

  it("adds and edits items of an array of objects", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    fireEvent.click(screen.getByTestId("field-variants-add"));
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ variants: [{ name: "", weight: 50 }] });
    fireEvent.change(screen.getByTestId("field-variants.0.name"), { target: { value: "a" } });
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ variants: [{ name: "a", weight: 50 }] });
    fireEvent.click(screen.getByTestId("field-labels-add"));
    fireEvent.change(screen.getByTestId("field-labels.0"), { target: { value: "billing" } });
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ labels: ["billing"] });
  });

  it("falls back to a JSON textarea that only reports valid JSON", () => {
    const onChange = vi.fn();
    render(<Harness onChange={onChange} />);
    const json = screen.getByTestId("field-schema");
    fireEvent.change(json, { target: { value: '{"type": ' } });
    expect(screen.getByText(/Not valid JSON/)).toBeTruthy();
    const calls = onChange.mock.calls.length;
    fireEvent.change(json, { target: { value: '{"type": "object"}' } });
    expect(onChange.mock.calls.length).toBe(calls + 1);
    expect(onChange.mock.lastCall?.[0]).toMatchObject({ schema: { type: "object" } });
  });
});
