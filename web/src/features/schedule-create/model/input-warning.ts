interface NodeLike {
  id: string;
  type: string;
  label?: string;
  config?: unknown;
}

/**
 * scheduleInputWarning says why a scheduled start of a workflow may not get
 * what its trigger expects: a scheduled run starts with an empty trigger,
 * so a manual trigger with required input fields, or a workflow started
 * only by webhooks or events, will run without that data. Empty: nothing
 * to warn about.
 */
export function scheduleInputWarning(nodes: NodeLike[] | null | undefined): string {
  const triggers = (nodes ?? []).filter((n) => n.type.startsWith("trigger."));
  if (triggers.length === 0 || triggers.some((n) => n.type === "trigger.schedule")) return "";
  const manual = triggers.find((n) => n.type === "trigger.manual");
  if (manual) {
    const config = (manual.config ?? {}) as { inputSchema?: { required?: unknown } | null };
    const schema = config.inputSchema ?? null;
    const required = Array.isArray(schema?.required) ? schema.required.filter((f): f is string => typeof f === "string") : [];
    if (required.length === 0) return "";
    return `This workflow's trigger asks for ${required.map((f) => `“${f}”`).join(", ")}. Scheduled runs start with no input, so steps that use ${required.length === 1 ? "it" : "them"} will see nothing.`;
  }
  const kinds = [...new Set(triggers.map((n) => (n.type === "trigger.webhook" ? "a webhook call" : n.type === "trigger.event" ? "an event" : n.type)))];
  return `This workflow starts from ${kinds.join(" or ")}. Scheduled runs start without a body, event or contact, so steps that read them will see nothing.`;
}
