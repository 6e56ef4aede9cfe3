"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap, type AISettingsUpdate } from "@/shared/api";

export const aiApi = {
  settings: () => unwrap(client.GET("/api/v1/ai/settings")),
  saveSettings: (body: AISettingsUpdate) => unwrap(client.PUT("/api/v1/ai/settings", { body })),
  usage: (month?: string) => unwrap(client.GET("/api/v1/ai/usage", { params: { query: month ? { month } : {} } })),
  draft: (prompt: string) => unwrap(client.POST("/api/v1/ai/workflow-drafts", { body: { prompt } })),
};

/** The workspace's AI settings (never the key: only whether one is stored). */
export function useAISettings() {
  return useQuery({ queryKey: queryKeys.ai.settings, queryFn: aiApi.settings });
}

/** The workspace's AI usage this month (UTC), by model, against its budget. */
export function useAIUsage() {
  return useQuery({ queryKey: queryKeys.ai.usage, queryFn: () => aiApi.usage() });
}
