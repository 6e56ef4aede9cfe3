"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { contentFor, templateApi, type TemplateChannel, type TemplateContent } from "@/entities/message-template";
import { useDebouncedValue } from "@/shared/lib";

/** The sample event as an object, or the reason it is not one. */
export function parseSampleEvent(text: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== "object" || Array.isArray(v)) return { error: "The sample event must be a JSON object, like {\"name\": \"signed_up\"}." };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { error: `The sample event is not valid JSON: ${(e as Error).message}` };
  }
}

/** Renders the content being edited for a contact and sample event, 400 ms after the last keystroke. */
export function useTemplatePreview(channel: TemplateChannel, content: TemplateContent, contactId: string, eventText: string) {
  const input = useDebouncedValue({ channel, content: contentFor(channel, content), contactId, eventText }, 400);
  const ev = parseSampleEvent(input.eventText);
  const query = useQuery({
    queryKey: ["templates", "preview", input.channel, input.content, input.contactId, ev.value ?? null],
    queryFn: ({ signal }) =>
      templateApi.preview({ channel: input.channel, content: input.content, ...(input.contactId ? { contactId: input.contactId } : {}), ...(ev.value ? { event: ev.value } : {}) }, signal),
    enabled: !ev.error,
    placeholderData: keepPreviousData,
    retry: false,
  });
  return { ...query, eventError: ev.error };
}
