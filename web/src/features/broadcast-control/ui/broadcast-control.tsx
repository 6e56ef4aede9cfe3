"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Ban, Pause, Play } from "lucide-react";
import { broadcastApi, type Broadcast } from "@/entities/broadcast";
import { useCan } from "@/entities/session";
import { errorMessage, queryKeys } from "@/shared/api";
import { Button, ConfirmDialog, useToast } from "@/shared/ui";

type Action = "pause" | "resume" | "cancel";

/** Pause, resume and cancel of a broadcast (cancel asks first), for those who may run executions. */
export function BroadcastControls({ broadcast: b }: { broadcast: Broadcast }) {
  const can = useCan("executions:run");
  const [confirm, setConfirm] = useState(false);
  const qc = useQueryClient();
  const toast = useToast();
  const act = useMutation({
    mutationFn: (a: Action) => broadcastApi[a](b.id),
    onSuccess: (next, a) => {
      qc.setQueryData(queryKeys.broadcasts.detail(b.id), next);
      void qc.invalidateQueries({ queryKey: queryKeys.broadcasts.list });
      toast(a === "pause" ? "Paused." : a === "resume" ? "Resumed." : "Cancelled: no more contacts are started.");
      setConfirm(false);
    },
    onError: (e) => toast(errorMessage(e), "error"),
  });
  if (!can || b.status === "completed" || b.status === "cancelled" || b.status === "failed") return null;
  const busy = act.isPending ? act.variables : undefined;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {b.status === "paused" ? (
        <Button icon={<Play className="size-4" />} loading={busy === "resume"} disabled={act.isPending} onClick={() => act.mutate("resume")} data-testid="broadcast-resume">
          Resume
        </Button>
      ) : (
        <Button icon={<Pause className="size-4" />} loading={busy === "pause"} disabled={act.isPending} onClick={() => act.mutate("pause")} data-testid="broadcast-pause">
          Pause
        </Button>
      )}
      <Button variant="danger" icon={<Ban className="size-4" />} disabled={act.isPending} onClick={() => setConfirm(true)} data-testid="broadcast-cancel">
        Cancel
      </Button>
      <ConfirmDialog
        open={confirm}
        title={`Cancel ${b.name}?`}
        confirmLabel="Cancel broadcast"
        pending={busy === "cancel"}
        onCancel={() => setConfirm(false)}
        onConfirm={() => act.mutate("cancel")}
      >
        Contacts not started yet never are; executions already started run on. A cancelled broadcast cannot be resumed.
      </ConfirmDialog>
    </div>
  );
}
