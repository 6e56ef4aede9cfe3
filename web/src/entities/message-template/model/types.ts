import type { Generated } from "@/shared/api";

/** A saved message template. */
export type MessageTemplate = Generated<"TemplateDTO", never>;
/** The Liquid fields of a template. */
export type TemplateContent = Generated<"TemplateContentDTO", never>;
/** A template rendered for a contact and sample event. */
export type RenderedMessage = Generated<"RenderedMessageDTO", never>;
/** The body that renders an unsaved template. */
export type TemplatePreviewRequest = Generated<"TemplatePreviewDTO", never>;
/** A channel a template is written for. */
export type TemplateChannel = MessageTemplate["channel"];

/** Labels of the channels a template can be written for. */
export const TEMPLATE_CHANNELS: { value: TemplateChannel; label: string }[] = [
  { value: "email", label: "Email" },
  { value: "whatsapp", label: "WhatsApp" },
  { value: "messenger", label: "Messenger" },
];

/** The empty content a new template of the channel starts with. */
export function emptyContent(channel: TemplateChannel): TemplateContent {
  if (channel === "email")
    return {
      subject: "Welcome, {{ contact.name | default: \"there\" }}",
      preheader: "",
      html: "<p>Hi {{ contact.name | default: \"there\" }},</p>\n<p>Thanks for signing up.</p>",
      text: "Hi {{ contact.name | default: \"there\" }},\n\nThanks for signing up.",
    };
  return { text: "Hi {{ contact.name | default: \"there\" }}!" };
}

/** Only the fields that the channel uses, blank ones left out. */
export function contentFor(channel: TemplateChannel, c: TemplateContent): TemplateContent {
  const keys: (keyof TemplateContent)[] =
    channel === "email" ? ["subject", "preheader", "html", "text"] : channel === "whatsapp" ? (c.templateName ? ["templateName", "language", "parameters"] : ["text"]) : ["text"];
  const out: TemplateContent = {};
  for (const k of keys) {
    const v = c[k];
    if (Array.isArray(v) ? v.length > 0 : v) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** A problem's field errors keyed by content field ("html", "parameters[1]"), each "line N: reason" when the line is known. */
export function templateFieldErrors(errors: { location?: string; message: string; value?: unknown }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    const field = (e.location ?? "").replace(/^body\./, "").replace(/^content\./, "");
    if (!field || out[field]) continue;
    out[field] = typeof e.value === "number" && e.value > 0 ? `Line ${e.value}: ${e.message}` : e.message;
  }
  return out;
}
