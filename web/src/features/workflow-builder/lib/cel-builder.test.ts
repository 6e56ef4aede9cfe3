import { describe, expect, it } from "vitest";
import { emptyRule, fromCel, literal, toCel, type Group, type Rule } from "./cel-builder";

const rule = (field: string, op: Rule["op"], value = ""): Rule => ({ kind: "rule", field, op, value });
const all = (...items: Group["items"]): Group => ({ kind: "group", join: "all", items });
const any = (...items: Group["items"]): Group => ({ kind: "group", join: "any", items });

describe("condition builder ⇄ CEL", () => {
  const cases: Array<[string, Group, string]> = [
    ["a number comparison", all(rule("trigger.input.amount", ">", "100")), "trigger.input.amount > 100"],
    ["a string equality", all(rule("contact.attributes.plan", "==", "pro")), 'contact.attributes.plan == "pro"'],
    ["a string that looks like a number stays a string", all(rule("contact.attributes.zip", "==", '"12345"')), 'contact.attributes.zip == "12345"'],
    ["booleans", all(rule("contact.attributes.activated", "==", "true")), "contact.attributes.activated == true"],
    ["text functions", all(rule("contact.email", "endsWith", "@acme.com"), rule("contact.name", "contains", "Ann")), 'contact.email.endsWith("@acme.com") && contact.name.contains("Ann")'],
    ["is set / is not set", any(rule("contact.phone", "has"), rule("contact.attributes.vip", "!has")), "has(contact.phone) || !has(contact.attributes.vip)"],
    ["is one of", all(rule("contact.locale", "in", "de, fr, 3")), 'contact.locale in ["de", "fr", 3]'],
    ["list includes", all(rule("contact.attributes.tags", "includes", "beta")), '"beta" in contact.attributes.tags'],
    ["quoted keys and indexes", all(rule('steps.fetch.output.body["order-id"]', "!=", "null"), rule("trigger.input.items[0].sku", "==", "A1")), 'steps.fetch.output.body["order-id"] != null && trigger.input.items[0].sku == "A1"'],
    [
      "groups inside groups",
      all(rule("trigger.input.amount", ">=", "50"), any(rule("contact.attributes.plan", "==", "pro"), rule("contact.attributes.plan", "==", "team"))),
      'trigger.input.amount >= 50 && (contact.attributes.plan == "pro" || contact.attributes.plan == "team")',
    ],
    ["a one-rule group keeps its parentheses", any(rule("vars.score", "<", "-1.5"), all(rule("vars.ok", "==", "false"))), "vars.score < -1.5 || (vars.ok == false)"],
  ];
  for (const [name, group, cel] of cases) {
    it(`writes and reads back ${name}`, () => {
      expect(toCel(group)).toBe(cel);
      expect(fromCel(cel)).toEqual(group);
    });
  }

  it("reads hand-written CEL with other spacing, quotes and an outer parenthesis", () => {
    expect(fromCel("( contact.attributes.plan=='pro'||contact.attributes.plan == \"team\" )")).toEqual(
      any(rule("contact.attributes.plan", "==", "pro"), rule("contact.attributes.plan", "==", "team")),
    );
    expect(toCel(fromCel("a.b>1&&c.d<2")!)).toBe("a.b > 1 && c.d < 2");
    // && binds tighter than ||: the and-part becomes its own group.
    expect(fromCel("a.x == 1 || b.y == 2 && c.z == 3")).toEqual(any(rule("a.x", "==", "1"), all(rule("b.y", "==", "2"), rule("c.z", "==", "3"))));
  });

  it("says when an expression is too complex for the form", () => {
    for (const cel of [
      "trigger.input.amount * 2 > 100",
      "size(contact.attributes.tags) > 2",
      "!(contact.attributes.plan == 'pro')",
      "contact.attributes.a == contact.attributes.b",
      "now > timestamp('2026-01-01T00:00:00Z')",
      "contact.attributes.plan == 'pro' ? true : false",
      "contact.email.matches('^a')",
      "(a.b == 1",
      "a.b == 1 &&",
      "has(contact)",
      "1u == a.b",
    ]) {
      expect(fromCel(cel), cel).toBeNull();
    }
  });

  it("leaves out unfinished rules and reads an empty expression as an empty builder", () => {
    expect(toCel(all(emptyRule(), rule("vars.a", "==", "1"), any()))).toBe("vars.a == 1");
    expect(toCel(all())).toBe("");
    expect(fromCel("  ")).toEqual(all());
  });

  it("quotes what the user typed as text", () => {
    expect(literal('say "hi"', "==")).toBe('"say \\"hi\\""');
    expect(literal("42", "contains")).toBe('"42"');
    expect(literal("42", "==")).toBe("42");
    expect(fromCel('contact.name == "say \\"hi\\""')).toEqual(all(rule("contact.name", "==", 'say "hi"')));
    expect(fromCel('contact.name == " padded"')).toEqual(all(rule("contact.name", "==", '" padded"')));
    expect(toCel(all(rule("contact.name", "==", '" padded"')))).toBe('contact.name == " padded"');
  });
});
