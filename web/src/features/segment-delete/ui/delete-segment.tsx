"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Trash2 } from "lucide-react";
import { segmentApi } from "@/entities/segment";
import { useCan } from "@/entities/session";
import { errorMessage, queryKeys } from "@/shared/api";
import { Button, ConfirmDialog, useToast } from "@/shared/ui";

/**
 * The "Delete" button of a segment, asking first; disabled, with the
 * reason as its title, for roles that may not edit contacts.
 */
export function DeleteSegmentButton({ segment, onDeleted }: { segment: { id: string; name: string }; onDeleted?: () => void }) {
  const can = useCan("contacts:write");
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const toast = useToast();
  const del = useMutation({
    mutationFn: () => segmentApi.remove(segment.id),
    onSuccess: () => {
      toast(`Deleted ${segment.name}.`);
      qc.removeQueries({ queryKey: queryKeys.segments.detail(segment.id) });
      void qc.invalidateQueries({ queryKey: queryKeys.segments.list });
      setOpen(false);
      onDeleted?.();
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  return (
    <>
      <Button
        variant="danger"
        icon={<Trash2 className="size-4" />}
        disabled={!can}
        title={can ? undefined : "Your role may not edit segments (contacts:write)."}
        onClick={() => setOpen(true)}
        data-testid="segment-delete"
      >
        Delete
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete ${segment.name}?`}
        confirmLabel="Delete segment"
        pending={del.isPending}
        onCancel={() => setOpen(false)}
        onConfirm={() => del.mutate()}
      >
        The segment and its membership are deleted; contacts are not. Journeys triggered by this segment stop starting, and publishing them fails until they use
        another segment. The deletion is recorded in the audit log.
      </ConfirmDialog>
    </>
  );
}
