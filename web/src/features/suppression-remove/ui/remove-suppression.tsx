"use client";
import { useState } from "react";
import { Trash2 } from "lucide-react";
import { displayAddress, reasonLabel, suppressionChannelLabel, type Suppression } from "@/entities/suppression";
import { useCan } from "@/entities/session";
import { Button, ConfirmDialog } from "@/shared/ui";
import { useRemoveSuppression } from "../model/use-remove-suppression";

/** The remove button of a suppression, asking first; shown to those who may manage channels. */
export function RemoveSuppressionButton({ suppression: s }: { suppression: Suppression }) {
  const [open, setOpen] = useState(false);
  const del = useRemoveSuppression();
  const can = useCan("channels:manage");
  if (!can) return null;
  const address = displayAddress(s);
  const risky = s.reason === "hard_bounce" || s.reason === "complaint";
  return (
    <>
      <Button size="sm" variant="ghost" aria-label={`Remove suppression of ${address}`} onClick={() => setOpen(true)}>
        <Trash2 className="size-3.5" />
      </Button>
      <ConfirmDialog
        open={open}
        title={`Send to ${address} again?`}
        confirmLabel="Remove suppression"
        pending={del.isPending}
        onCancel={() => setOpen(false)}
        onConfirm={() => del.mutate(s, { onSettled: () => setOpen(false) })}
      >
        Journeys will send {suppressionChannelLabel(s.channel)} messages to this address again.
        {risky && ` It was suppressed for a ${reasonLabel(s.reason).toLowerCase()}: sending to it again can hurt your sender reputation.`} The removal is recorded in
        the audit log.
      </ConfirmDialog>
    </>
  );
}
