"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MailPlus } from "lucide-react";
import { memberApi } from "@/entities/member";
import { ROLES, errorMessage, queryKeys, type CreatedInvitation, type Role } from "@/shared/api";
import { Alert, Button, CopyField, Dialog, Field, Input, Select } from "@/shared/ui";

const roleHelp: Record<string, string> = {
  OWNER: "Everything, including billing and deleting the workspace",
  ADMIN: "Manage members, keys, channels and all workflows",
  OPERATOR: "Build, publish and run workflows",
  VIEWER: "Read-only access",
};

/** The "Invite member" button and its dialog, which shows the invitation link once created. */
export function InviteMemberButton() {
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("OPERATOR");
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const qc = useQueryClient();
  const invite = useMutation({
    mutationFn: () => memberApi.invite({ email: email.trim(), role }),
    onSuccess: (inv) => {
      setCreated(inv);
      void qc.invalidateQueries({ queryKey: queryKeys.invitations.all });
    },
  });
  const close = () => (setOpen(false), setCreated(null), setEmail(""), invite.reset());
  const link = created?.acceptUrl ?? null;
  return (
    <>
      <Button variant="primary" icon={<MailPlus className="size-4" />} onClick={() => setOpen(true)}>
        Invite member
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Invite a teammate"
        footer={
          created ? (
            <Button onClick={close}>Done</Button>
          ) : (
            <>
              <Button onClick={close}>Cancel</Button>
              <Button variant="primary" type="submit" form="invite" loading={invite.isPending} disabled={!email.trim()}>
                Send invitation
              </Button>
            </>
          )
        }
      >
        {created ? (
          <div className="space-y-3">
            <Alert tone="success">{created.emailed ? `Invitation emailed to ${created.email}.` : `Invitation created for ${created.email}.`}</Alert>
            {link && (
              <>
                <p className="text-sm text-slate-600">Share this link with them; it works once.</p>
                <CopyField value={link} label="Invitation link" />
              </>
            )}
          </div>
        ) : (
          <form id="invite" className="space-y-4" onSubmit={(e: FormEvent) => (e.preventDefault(), invite.mutate())}>
            {invite.isError && <Alert>{errorMessage(invite.error)}</Alert>}
            <Field label="Email" required>
              {(ids) => <Input {...ids} type="email" autoFocus value={email} onChange={(e) => setEmail(e.target.value)} placeholder="teammate@company.com" />}
            </Field>
            <Field label="Role" hint={roleHelp[role]}>
              {(ids) => (
                <Select {...ids} value={role} onChange={(e) => setRole(e.target.value as Role)}>
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r.charAt(0) + r.slice(1).toLowerCase()}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </form>
        )}
      </Dialog>
    </>
  );
}
