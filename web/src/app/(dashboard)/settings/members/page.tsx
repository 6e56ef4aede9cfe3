"use client";
import { useState } from "react";
import { Trash2, Users } from "lucide-react";
import { useInvitations, useMembers } from "@/entities/member";
import { activeRole, roleAtLeast, useMe } from "@/entities/session";
import { InviteMemberButton } from "@/features/member-invite";
import { useRemoveMember, useRevokeInvitation, useSetMemberRole } from "@/features/member-manage";
import { ROLES, errorMessage, type Role } from "@/shared/api";
import { formatRelative } from "@/shared/lib";
import { Badge, Button, Card, CardHeader, ConfirmDialog, EmptyState, ErrorState, PageHeader, Select, TableSkeleton, table } from "@/shared/ui";

export default function MembersPage() {
  const { data: me } = useMe();
  const canManage = roleAtLeast(activeRole(me), "ADMIN");
  const members = useMembers();
  const invitations = useInvitations();
  const setRole = useSetMemberRole();
  const remove = useRemoveMember();
  const revoke = useRevokeInvitation();
  // An accepted invitation is a member now: it is listed above, not here.
  const pending = (invitations.data ?? []).filter((i) => !i.acceptedAt);
  const [removing, setRemoving] = useState<{ id: string; name: string } | null>(null);
  return (
    <>
      <ConfirmDialog
        open={!!removing}
        title={`Remove ${removing?.name ?? "this member"}?`}
        confirmLabel="Remove member"
        pending={remove.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing.id, { onSettled: () => setRemoving(null) })}
      >
        They lose access to this workspace at once, and the API keys they created here are revoked. You can invite them again later.
      </ConfirmDialog>
      <PageHeader title="Members" description="People in this workspace and what they may do." actions={canManage && <InviteMemberButton />} />
      <Card className="mb-5">
        {members.isPending ? (
          <TableSkeleton cols={4} rows={3} />
        ) : members.isError && !members.data ? (
          <ErrorState error={errorMessage(members.error)} onRetry={() => void members.refetch()} />
        ) : (members.data ?? []).length === 0 ? (
          <EmptyState icon={<Users className="size-5" />} title="Just you so far" description="Invite teammates to build and run journeys together." action={canManage && <InviteMemberButton />} />
        ) : (
          <div className="overflow-x-auto">
          <table className={table.root}>
            <thead className={table.head}>
              <tr>
                <th className={`${table.th} w-[50%] sm:w-[34%]`}>Name</th>
                <th className={`${table.th} hidden w-[30%] sm:table-cell`}>Email</th>
                <th className={`${table.th} w-[34%] sm:w-[20%]`}>Role</th>
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
                      {/* Phones: the email under the name instead of its own column. */}
                      <span className="block truncate text-xs font-normal text-slate-500 sm:hidden">{m.user.email}</span>
                    </td>
                    <td className={`${table.td} hidden truncate sm:table-cell`}>{m.user.email}</td>
                    <td className={table.td}>
                      {canManage && !self ? (
                        <Select aria-label={`Role of ${m.user.name}`} className="w-full max-w-32" value={String(m.role)} onChange={(e) => setRole.mutate({ userId: m.user.id, role: e.target.value as Role })}>
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
                        <Button size="sm" variant="ghost" aria-label={`Remove ${m.user.name}`} onClick={() => setRemoving({ id: m.user.id, name: m.user.name || m.user.email })} data-testid="remove-member">
                          <Trash2 className="size-3.5" />
                        </Button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          </div>
        )}
      </Card>
      <Card>
        <CardHeader title="Pending invitations" description="Invitations expire after a while; revoke any you no longer want." />
        {invitations.isPending ? (
          <TableSkeleton cols={3} rows={2} />
        ) : invitations.isError && !invitations.data ? (
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
                  <td className={`${table.td} hidden w-[25%] text-xs text-slate-500 sm:table-cell`}>{i.expiresAt ? `Expires ${formatRelative(i.expiresAt)}` : `Sent ${formatRelative(i.createdAt)}`}</td>
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
