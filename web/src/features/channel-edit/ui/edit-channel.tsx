"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Pencil } from "lucide-react";
import { ChannelForm, channelApi, channelConfigOf, type ChannelConnection, type ChannelFormValue } from "@/entities/channel";
import { errorMessage, isApiError, queryKeys } from "@/shared/api";
import { Button, Dialog, useToast } from "@/shared/ui";

/** The edit button of a connection and its dialog; secrets left blank keep their value. */
export function EditChannelButton({ channel }: { channel: ChannelConnection }) {
  const [open, setOpen] = useState(false);
  const qc = useQueryClient();
  const toast = useToast();
  const update = useMutation({
    mutationFn: (v: ChannelFormValue) =>
      channelApi.update(channel.id, {
        name: v.name,
        config: channelConfigOf(v),
        secrets: Object.fromEntries(Object.entries(v.secrets).filter(([, s]) => s !== "")),
        ...(v.smtpUrl ? { smtpUrl: v.smtpUrl } : {}),
      }),
    onSuccess: (c) => {
      setOpen(false);
      toast(`${c.name} saved. Test it again to check the new settings.`);
      void qc.invalidateQueries({ queryKey: queryKeys.channels.all });
    },
  });
  const close = () => (setOpen(false), update.reset());
  const formId = `edit-channel-${channel.id}`;
  return (
    <>
      <Button size="sm" variant="ghost" aria-label={`Edit ${channel.name}`} onClick={() => setOpen(true)}>
        <Pencil className="size-3.5" />
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title={`Edit ${channel.name}`}
        description="Fields you leave as they are keep their value."
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" type="submit" form={formId} loading={update.isPending}>
              Save
            </Button>
          </>
        }
      >
        {open && (
          <ChannelForm
            id={formId}
            existing={channel}
            error={isApiError(update.error) ? update.error : null}
            otherError={update.error && !isApiError(update.error) ? errorMessage(update.error) : null}
            onSubmit={(v) => update.mutate(v)}
          />
        )}
      </Dialog>
    </>
  );
}
