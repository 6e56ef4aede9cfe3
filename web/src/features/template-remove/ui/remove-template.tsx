"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Trash2 } from "lucide-react";
import { templateApi, templateKeys, type MessageTemplate } from "@/entities/message-template";
import { errorMessage } from "@/shared/api";
import { Button, ConfirmDialog, useToast } from "@/shared/ui";

/** The remove button of a template, asking first. */
export function RemoveTemplateButton({ template, onRemoved }: { template: MessageTemplate; onRemoved?: () => void }) {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const toast = useToast();
  const del = useMutation({
    mutationFn: () => templateApi.remove(template.id),
    onSuccess: () => (toast(`Template “${template.name}” removed.`), void qc.invalidateQueries({ queryKey: templateKeys.all }), onRemoved?.()),
    onError: (e) => toast(errorMessage(e), "error"),
    onSettled: () => setOpen(false),
  });
  return (
    <>
      <Button size="sm" variant="ghost" aria-label={`Remove ${template.name}`} onClick={() => setOpen(true)}>
        <Trash2 className="size-3.5" />
      </Button>
      <ConfirmDialog open={open} title={`Remove “${template.name}”?`} confirmLabel="Remove template" pending={del.isPending} onCancel={() => setOpen(false)} onConfirm={() => del.mutate()}>
        Journeys that send it will fail validation at their next publish. Messages already sent stay in the history.
      </ConfirmDialog>
    </>
  );
}
