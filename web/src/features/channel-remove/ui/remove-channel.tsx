"use client";
import { useState } from "react";
import { Trash2 } from "lucide-react";
import type { ChannelConnection } from "@/entities/channel";
import { Button, ConfirmDialog } from "@/shared/ui";
import { useRemoveChannel } from "../model/use-remove-channel";

/** The remove button of a connection, asking first. */
export function RemoveChannelButton({ channel }: { channel: ChannelConnection }) {
  const [open, setOpen] = useState(false);
  const del = useRemoveChannel();
  return (
    <>
      <Button size="sm" variant="ghost" aria-label={`Remove ${channel.name}`} onClick={() => setOpen(true)}>
        <Trash2 className="size-3.5" />
      </Button>
      <ConfirmDialog
        open={open}
        title={`Remove ${channel.name}?`}
        confirmLabel="Remove channel"
        pending={del.isPending}
        onCancel={() => setOpen(false)}
        onConfirm={() => del.mutate(channel.id, { onSettled: () => setOpen(false) })}
      >
        Send steps that use this connection will fail until another one is chosen. Its secrets are deleted; message history stays.
      </ConfirmDialog>
    </>
  );
}
