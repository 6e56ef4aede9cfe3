"use client";
import { useQuery } from "@tanstack/react-query";
import { client, queryKeys, unwrap, type CredentialKind } from "@/shared/api";

/** What a credential is created or replaced with; the value is write-only. */
export type CredentialInput = { kind: CredentialKind; description?: string; value: string };

export const credentialApi = {
  list: async () => (await unwrap(client.GET("/api/v1/credentials"))) ?? [],
  create: (body: CredentialInput & { name: string }) => unwrap(client.POST("/api/v1/credentials", { body })),
  replace: (name: string, body: CredentialInput) => unwrap(client.PUT("/api/v1/credentials/{name}", { params: { path: { name } }, body })),
  remove: (name: string) => unwrap(client.DELETE("/api/v1/credentials/{name}", { params: { path: { name } } })),
};

/** The workspace's credentials (names and metadata; never values). */
export function useCredentials() {
  return useQuery({ queryKey: queryKeys.credentials.all, queryFn: credentialApi.list, staleTime: 30_000 });
}
