"use client";
import { useState, type FormEvent } from "react";
import { Trash2 } from "lucide-react";
import { useCan } from "@/entities/session";
import { errorMessage } from "@/shared/api";
import { Alert, Button, Dialog, Field, Input, useToast } from "@/shared/ui";
import { eraseConfirmation, useEraseContact } from "../model/use-erase-contact";

/**
 * The "Erase contact" button: a dialog that asks to type the contact's
 * externalId (or email) before erasing it. Disabled, with the reason as
 * its title, for roles without contacts:write.
 */
export function EraseContactButton({
  contact,
  onErased,
}: {
  contact: { id: string; externalId?: string | null; email?: string | null };
  onErased?: () => void;
}) {
  const allowed = useCan("contacts:write");
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const erase = useEraseContact(contact.id);
  const toast = useToast();
  const expected = eraseConfirmation(contact);
  const what = contact.externalId ? "external ID" : contact.email ? "email" : "ID";
  const close = () => (setOpen(false), setTyped(""), erase.reset());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (typed.trim() !== expected) return;
    erase.mutate(undefined, {
      onSuccess: () => {
        toast("Contact erased.");
        close();
        onErased?.();
      },
    });
  };
  return (
    <>
      <Button
        variant="danger"
        icon={<Trash2 className="size-4" />}
        disabled={!allowed}
        title={allowed ? undefined : "Your role may not erase contacts (contacts:write)."}
        onClick={() => setOpen(true)}
        data-testid="erase-contact"
      >
        Erase
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Erase this contact?"
        description="This cannot be undone."
        footer={
          <>
            <Button onClick={close}>Cancel</Button>
            <Button variant="danger" type="submit" form="erase-contact" loading={erase.isPending} disabled={typed.trim() !== expected} data-testid="erase-confirm">
              Erase contact
            </Button>
          </>
        }
      >
        <form id="erase-contact" className="space-y-3" onSubmit={submit}>
          {erase.isError && <Alert>{errorMessage(erase.error)}</Alert>}
          <p className="text-sm text-slate-600">
            The contact and all its events are deleted. Its running and waiting journeys are cancelled, and past executions keep only anonymous counts. The audit log
            records the erasure.
          </p>
          <Field label={<>Type the {what} <span className="font-mono break-all text-slate-900">{expected}</span> to confirm</>}>
            {(ids) => <Input {...ids} autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="erase-input" />}
          </Field>
        </form>
      </Dialog>
    </>
  );
}
