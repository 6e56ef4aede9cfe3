"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MailPlus, Trash2, Users } from "lucide-react";
import { memberApi, useInvitations, useMembers } from "@/entities/member";
import { activeRole, roleAtLeast, useMe } from "@/entities/session";
import { ROLES, errorMessage, queryKeys, type CreatedInvitation, type Role } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Alert, Badge, Button, Card, CardHeader, CopyField, Dialog, EmptyState, ErrorState, Field, Input, PageHeader, Select, TableSkeleton, table, useToast } from "@/shared/ui";

const roleHelp: Record<string, string> = {
  OWNER: "Everything, including billing and deleting the workspace",
  ADMIN: "Manage members, keys, channels and all workflows",
  OPERATOR: "Build, publish and run workflows",
  VIEWER: "Read-only access",
};

function InviteMember() {
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

export default function MembersPage() {
  const { data: me } = useMe();
  const canManage = roleAtLeast(activeRole(me), "ADMIN");
  const members = useMembers();
  const invitations = useInvitations();
  const qc = useQueryClient();
  const toast = useToast();
  const setRole = useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) => memberApi.setRole(userId, role),
    onSuccess: () => (toast("Role updated."), void qc.invalidateQueries({ queryKey: queryKeys.members.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const remove = useMutation({
    mutationFn: memberApi.remove,
    onSuccess: () => (toast("Member removed."), void qc.invalidateQueries({ queryKey: queryKeys.members.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const revoke = useMutation({
    mutationFn: memberApi.revoke,
    onSuccess: () => (toast("Invitation revoked."), void qc.invalidateQueries({ queryKey: queryKeys.invitations.all })),
    onError: (e) => toast(errorMessage(e), "error"),
  });
  const pending = invitations.data ?? [];
  return (
    <>
      <PageHeader title="Members" description="People in this workspace and what they may do." actions={canManage && <InviteMember />} />
      <Card className="mb-5">
        {members.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : members.isError ? (
          <ErrorState error={errorMessage(members.error)} onRetry={() => void members.refetch()} />
        ) : (members.data ?? []).length === 0 ? (
          <EmptyState icon={<Users className="size-5" />} title="Just you so far" description="Invite teammates to build and run journeys together." action={canManage && <InviteMember />} />
        ) : (
          <table className={table.root}>
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[34%]`}>Name</th>
                <th className={`${table.th} w-[30%]`}>Email</th>
                <th className={`${table.th} w-[20%]`}>Role</th>
                <th className={`${table.th} w-[16%]`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(members.data ?? []).map((m) => {
                const self = m.user.id === me?.user.id;
                return (
                  <tr key={m.user.id} className={table.row}>
                    <td className={`${table.td} truncate font-medium text-slate-900`}>
                      {m.user.name} {self && <Badge className="ml-1">You</Badge>}
                    </td>
                    <td className={`${table.td} truncate`}>{m.user.email}</td>
                    <td className={table.td}>
                      {canManage && !self ? (
                        <Select aria-label={`Role of ${m.user.name}`} className="w-32" value={String(m.role)} onChange={(e) => setRole.mutate({ userId: m.user.id, role: e.target.value as Role })}>
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r.charAt(0) + r.slice(1).toLowerCase()}
                            </option>
                          ))}
                        </Select>
                      ) : (
                        <Badge tone={m.role === "OWNER" ? "violet" : "gray"}>{String(m.role).toLowerCase()}</Badge>
                      )}
                    </td>
                    <td className={`${table.td} text-right`}>
                      {canManage && !self && (
                        <Button size="sm" variant="ghost" aria-label={`Remove ${m.user.name}`} onClick={() => remove.mutate(m.user.id)}>
                          <Trash2 className="size-3.5" />
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
      <Card>
        <CardHeader title="Pending invitations" description="Invitations expire after a while; revoke any you no longer want." />
        {invitations.isPending ? (
          <TableSkeleton cols={3} rows={2} />
        ) : invitations.isError ? (
          <ErrorState error={errorMessage(invitations.error)} onRetry={() => void invitations.refetch()} />
        ) : pending.length === 0 ? (
          <p className="px-4 py-6 text-center text-sm text-slate-500">No pending invitations.</p>
        ) : (
          <table className={table.root}>
            <tbody>
              {pending.map((i) => (
                <tr key={i.id} className={table.row}>
                  <td className={`${table.td} w-[40%] truncate`}>{i.email}</td>
                  <td className={`${table.td} w-[20%]`}>
                    <Badge>{String(i.role).toLowerCase()}</Badge>
                  </td>
                  <td className={`${table.td} w-[25%] text-xs text-slate-500`}>{i.expiresAt ? `Expires ${formatRelative(i.expiresAt)}` : `Sent ${formatRelative(i.createdAt)}`}</td>
                  <td className={`${table.td} w-[15%] text-right`}>
                    {canManage && (
                      <Button size="sm" variant="ghost" onClick={() => revoke.mutate(i.id)}>
                        Revoke
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
