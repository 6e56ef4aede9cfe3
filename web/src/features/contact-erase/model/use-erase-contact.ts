"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { contactApi } from "@/entities/contact";
import { queryKeys } from "@/shared/api";

/** Erases a contact for good: its events go, its executions lose their contact data. */
export function useEraseContact(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => contactApi.erase(id),
    onSuccess: () => {
      qc.removeQueries({ queryKey: queryKeys.contacts.detail(id) });
      qc.removeQueries({ queryKey: queryKeys.contacts.timeline(id) });
      void qc.invalidateQueries({ queryKey: queryKeys.contacts.all });
      void qc.invalidateQueries({ queryKey: queryKeys.events.all });
      void qc.invalidateQueries({ queryKey: queryKeys.executions.all });
    },
  });
}

/** What the user types to confirm an erasure: the externalId, else the email, else the contact's ID. */
export function eraseConfirmation(c: { id: string; externalId?: string | null; email?: string | null }): string {
  return c.externalId || c.email || c.id;
}
