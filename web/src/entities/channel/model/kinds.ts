import { Mail, MessageCircle, MessagesSquare, type LucideIcon } from "lucide-react";
import type { Generated } from "@/shared/api";

/** A channel connection as the API returns it (secrets are never included). */
export type ChannelConnection = Generated<"ChannelDTO", never>;
/** The result of "Test connection". */
export type ChannelTestResult = Generated<"ChannelTestDTO", never>;
/** The body that creates a connection. */
export type ChannelCreate = Generated<"ChannelCreateDTO", never>;
/** The body that edits a connection: absent fields and secrets stay as they are. */
export type ChannelUpdate = Generated<"ChannelUpdateDTO", never>;
/** A kind of channel. */
export type ChannelKind = "email" | "whatsapp" | "messenger";

/** One configuration field of a connect form. */
export interface ConfigField {
  key: "host" | "port" | "username" | "from" | "fromName" | "replyTo" | "phoneNumberId" | "businessAccountId" | "pageId";
  label: string;
  hint?: string;
  type?: "text" | "number" | "email";
  required?: boolean;
}

/** One write-only secret of a connect form. */
export interface SecretField {
  key: string;
  label: string;
  hint?: string;
}

/** What each kind of channel asks for and how it is shown. */
export const channelKinds: Record<
  ChannelKind,
  { label: string; Icon: LucideIcon; config: ConfigField[]; secrets: SecretField[]; sender: (c: ChannelConnection) => string }
> = {
  email: {
    label: "Email (SMTP)",
    Icon: Mail,
    config: [
      { key: "host", label: "SMTP host", required: true },
      { key: "port", label: "Port", type: "number", hint: "587 with STARTTLS, 465 with implicit TLS" },
      { key: "username", label: "User name" },
      { key: "from", label: "Default from address", type: "email", required: true },
      { key: "fromName", label: "Default from name" },
      { key: "replyTo", label: "Reply-To address", type: "email" },
    ],
    secrets: [{ key: "password", label: "SMTP password" }],
    sender: (c) => (c.config.fromName ? `${c.config.fromName} <${c.config.from ?? ""}>` : (c.config.from ?? "")),
  },
  whatsapp: {
    label: "WhatsApp Cloud API",
    Icon: MessageCircle,
    config: [
      { key: "phoneNumberId", label: "Phone number ID", required: true, hint: "From WhatsApp → API setup in Meta's app dashboard" },
      { key: "businessAccountId", label: "Business account ID" },
    ],
    secrets: [
      { key: "accessToken", label: "Access token" },
      { key: "appSecret", label: "App secret", hint: "Verifies the X-Hub-Signature-256 of inbound webhooks" },
      { key: "verifyToken", label: "Verify token", hint: "Any string; enter the same one in Meta's webhook settings" },
    ],
    sender: (c) => (c.config.phoneNumberId ? `Phone number ID ${c.config.phoneNumberId}` : ""),
  },
  messenger: {
    label: "Facebook Messenger",
    Icon: MessagesSquare,
    config: [{ key: "pageId", label: "Page ID", required: true }],
    secrets: [
      { key: "pageToken", label: "Page access token" },
      { key: "appSecret", label: "App secret", hint: "Verifies the X-Hub-Signature-256 of inbound webhooks" },
      { key: "verifyToken", label: "Verify token", hint: "Any string; enter the same one in Meta's webhook settings" },
    ],
    sender: (c) => (c.config.pageId ? `Page ID ${c.config.pageId}` : ""),
  },
};

/** The kinds in the order the dashboard offers them. */
export const CHANNEL_KINDS: ChannelKind[] = ["email", "whatsapp", "messenger"];

/** The status of a connection in words and a badge tone. */
export function channelStatus(c: Pick<ChannelConnection, "status" | "statusMessage">): { label: string; tone: "gray" | "green" | "red" } {
  if (c.status === "ok") return { label: "Working", tone: "green" };
  if (c.status === "failing") return { label: "Failing", tone: "red" };
  return { label: "Not tested", tone: "gray" };
}
