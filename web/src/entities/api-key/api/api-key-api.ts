"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap } from "@/shared/api";

export const apiKeyApi = {
  list: async () => (await unwrap(client.GET("/api/v1/api-keys"))) ?? [],
  create: (body: { name: string; scopes: string[] }) => unwrap(client.POST("/api/v1/api-keys", { body })),
  revoke: (id: string) => unwrap(client.DELETE("/api/v1/api-keys/{id}", { params: { path: { id } } })),
};

export function useApiKeys() {
  return useQuery({ queryKey: queryKeys.apiKeys.all, queryFn: apiKeyApi.list });
}
