"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { PlugZap } from "lucide-react";
import { channelApi, type ChannelConnection } from "@/entities/channel";
import { errorMessage, queryKeys } from "@/shared/api";
import { Button, useToast } from "@/shared/ui";

/** "Test connection": asks the server to reach the provider and says what it found. */
export function TestChannelButton({ channel }: { channel: ChannelConnection }) {
  const qc = useQueryClient();
  const toast = useToast();
  const test = useMutation({
    mutationFn: () => channelApi.test(channel.id),
    onSuccess: (r) => {
      toast(r.ok ? `${channel.name}: ${r.message}` : `${channel.name} failed the test: ${r.message}`, r.ok ? undefined : "error");
      void qc.invalidateQueries({ queryKey: queryKeys.channels.all });
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  return (
    <Button size="sm" icon={<PlugZap className="size-3.5" />} loading={test.isPending} onClick={() => test.mutate()}>
      Test connection
    </Button>
  );
}
