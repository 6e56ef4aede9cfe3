"use client";
import { useState, type FormEvent } from "react";
import { Plus } from "lucide-react";
import { useCan } from "@/entities/session";
import { SUPPRESSION_CHANNELS, SUPPRESSION_REASONS, type SuppressionChannel, type SuppressionReason } from "@/entities/suppression";
import { errorMessage, isApiError } from "@/shared/api";
import { Alert, Button, Dialog, Field, Input, Select } from "@/shared/ui";
import { useAddSuppression } from "../model/use-add-suppression";

/** The "Suppress address" button and its form: channel, address, reason; shown to those who may edit contacts. */
export function AddSuppressionButton({ label = "Suppress address" }: { label?: string }) {
  const can = useCan("contacts:write");
  const [open, setOpen] = useState(false);
  const [channel, setChannel] = useState<SuppressionChannel>("email");
  const [address, setAddress] = useState("");
  const [reason, setReason] = useState<SuppressionReason>("manual");
  const add = useAddSuppression();
  const close = () => {
    setOpen(false);
    setAddress("");
    setReason("manual");
    add.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ channel, address, reason }, { onSuccess: close });
  };
  const kind = SUPPRESSION_CHANNELS.find((c) => c.value === channel) ?? SUPPRESSION_CHANNELS[0]!;
  const err = add.error;
  // A conflict says on which channel and why the address is already suppressed.
  const addressError = isApiError(err) ? (err.status === 409 ? err.message : err.fieldError("address")) : undefined;
  const formError = err && !addressError ? errorMessage(err) : null;
  if (!can) return null;
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Suppress an address"
        description="No message of this channel is sent to it; journeys record the send as skipped."
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="primary" type="submit" form="suppression-add" loading={add.isPending}>
              Suppress
            </Button>
          </>
        }
      >
        <form id="suppression-add" className="space-y-3" onSubmit={submit} noValidate>
          {formError && <Alert tone="error">{formError}</Alert>}
          <Field label="Channel" required>
            {(ids) => (
              <Select {...ids} value={channel} onChange={(e) => (setChannel(e.target.value as SuppressionChannel), add.reset())}>
                {SUPPRESSION_CHANNELS.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
          <Field label="Address" required hint={kind.hint} error={addressError}>
            {(ids) => (
              <Input
                {...ids}
                value={address}
                placeholder={kind.placeholder}
                autoComplete="off"
                inputMode={channel === "email" ? "email" : "tel"}
                onChange={(e) => setAddress(e.target.value)}
              />
            )}
          </Field>
          <Field label="Reason">
            {(ids) => (
              <Select {...ids} value={reason} onChange={(e) => setReason(e.target.value as SuppressionReason)}>
                {SUPPRESSION_REASONS.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.label}
                  </option>
                ))}
              </Select>
            )}
          </Field>
        </form>
      </Dialog>
    </>
  );
}
