import { describe, expect, it } from "vitest";
import { displayAddress, reasonLabel, reasonTone, suppressionChannelLabel } from "./types";

describe("suppression display", () => {
  it("shows a WhatsApp number with its +, other addresses as stored", () => {
    expect(displayAddress({ channel: "whatsapp", address: "4915112345678" })).toBe("+4915112345678");
    expect(displayAddress({ channel: "email", address: "ada@example.com" })).toBe("ada@example.com");
    expect(displayAddress({ channel: "messenger", address: "2401" })).toBe("2401");
  });
  it("names reasons and channels, and keeps unknown ones as they are", () => {
    expect(reasonLabel("hard_bounce")).toBe("Hard bounce");
    expect(reasonLabel("other")).toBe("other");
    expect(suppressionChannelLabel("whatsapp")).toBe("WhatsApp");
  });
  it("marks complaints and bounces red", () => {
    expect(reasonTone("complaint")).toBe("red");
    expect(reasonTone("hard_bounce")).toBe("red");
    expect(reasonTone("unsubscribed")).toBe("amber");
    expect(reasonTone("manual")).toBe("gray");
  });
});
