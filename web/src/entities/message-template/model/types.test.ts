import { describe, expect, it } from "vitest";
import { contentFor, templateFieldErrors } from "./types";

describe("templateFieldErrors", () => {
  it("keys errors by content field and names the line", () => {
    expect(
      templateFieldErrors([
        { location: "body.content.html", message: "unclosed tag", value: 3 },
        { location: "body.content.parameters[1]", message: "bad filter" },
        { location: "body.name", message: "taken" },
      ]),
    ).toEqual({ html: "Line 3: unclosed tag", "parameters[1]": "bad filter", name: "taken" });
  });
  it("is empty without errors", () => expect(templateFieldErrors(undefined)).toEqual({}));
});

describe("contentFor", () => {
  it("keeps only the channel's fields", () => {
    expect(contentFor("messenger", { subject: "x", text: "hi", html: "<p>" })).toEqual({ text: "hi" });
    expect(contentFor("email", { subject: "s", html: "<p>h</p>", text: "", preheader: "" })).toEqual({ subject: "s", html: "<p>h</p>" });
  });
  it("sends an approved WhatsApp template instead of text when it is named", () => {
    expect(contentFor("whatsapp", { text: "hi", templateName: "welcome", language: "en_US", parameters: ["{{ contact.name }}"] })).toEqual({
      templateName: "welcome",
      language: "en_US",
      parameters: ["{{ contact.name }}"],
    });
  });
});
