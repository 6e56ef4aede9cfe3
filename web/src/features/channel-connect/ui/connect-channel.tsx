"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { ChannelForm, channelApi, channelConfigOf, type ChannelFormValue } from "@/entities/channel";
import { errorMessage, isApiError, queryKeys } from "@/shared/api";
import { Button, Dialog, useToast } from "@/shared/ui";

/** The "Connect channel" button and its dialog. */
export function ConnectChannelButton() {
  const [open, setOpen] = useState(false);
  const [formKey, setFormKey] = useState(0);
  const qc = useQueryClient();
  const toast = useToast();
  const create = useMutation({
    mutationFn: (v: ChannelFormValue) =>
      channelApi.create({
        kind: v.kind,
        name: v.name,
        config: channelConfigOf(v),
        secrets: Object.fromEntries(Object.entries(v.secrets).filter(([, s]) => s !== "")),
        ...(v.smtpUrl ? { smtpUrl: v.smtpUrl } : {}),
      }),
    onSuccess: (c) => {
      setOpen(false);
      setFormKey((n) => n + 1);
      toast(`${c.name} connected. Test it to check the settings.`);
      void qc.invalidateQueries({ queryKey: queryKeys.channels.all });
    },
  });
  const close = () => (setOpen(false), create.reset());
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)}>
        Connect channel
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Connect a channel"
        description="Send steps go out through a connected channel."
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" type="submit" form="connect-channel" loading={create.isPending}>
              Connect
            </Button>
          </>
        }
      >
        <ChannelForm
          key={formKey}
          id="connect-channel"
          error={isApiError(create.error) ? create.error : null}
          otherError={create.error && !isApiError(create.error) ? errorMessage(create.error) : null}
          onSubmit={(v) => create.mutate(v)}
        />
      </Dialog>
    </>
  );
}
