"use client";
import { useMe, activeRole } from "@/entities/session";
import { useUsage } from "@/entities/workspace";
import { useWorkflows } from "@/entities/workflow";
import { useMembers } from "@/entities/member";
import { Badge, Card, CardHeader, CopyField, PageHeader, Skeleton } from "@/shared/ui";

const planLimits: Record<string, { executions: number; members: number; workflows: number }> = {
  FREE: { executions: 1_000, members: 3, workflows: 5 },
  PRO: { executions: 50_000, members: 20, workflows: 100 },
  BIZ: { executions: 1_000_000, members: 200, workflows: 1_000 },
};

function Meter({ label, used, limit, loading }: { label: string; used?: number; limit?: number; loading?: boolean }) {
  const pct = used !== undefined && limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  return (
    <div>
      <div className="mb-1 flex justify-between text-sm">
        <span className="text-slate-700">{label}</span>
        {loading ? <Skeleton className="h-4 w-20" /> : <span className="text-slate-500 tabular-nums">{used === undefined ? "—" : `${used.toLocaleString()} / ${limit?.toLocaleString() ?? "∞"}`}</span>}
      </div>
      <div className="h-2 rounded-full bg-slate-100" role="progressbar" aria-label={label} aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        <div className={`h-2 rounded-full ${pct > 90 ? "bg-red-500" : pct > 70 ? "bg-amber-500" : "bg-brand-500"}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

export default function WorkspacePage() {
  const { data: me } = useMe();
  const t = me?.activeTenant;
  const plan = String(t?.plan ?? "FREE");
  const limits = planLimits[plan] ?? planLimits.FREE!;
  const usage = useUsage();
  const workflows = useWorkflows();
  const members = useMembers();
  return (
    <>
      <PageHeader title="Workspace settings" description="Your workspace, its plan and what it has used this month." />
      <div className="grid grid-cols-2 gap-5">
        <Card>
          <CardHeader title="Workspace" />
          <dl className="divide-y divide-slate-100 text-sm">
            <div className="flex gap-3 px-4 py-2.5">
              <dt className="w-32 text-slate-500">Name</dt>
              <dd className="font-medium text-slate-900">{t?.name}</dd>
            </div>
            <div className="flex gap-3 px-4 py-2.5">
              <dt className="w-32 text-slate-500">Slug</dt>
              <dd className="font-mono text-xs text-slate-700">{t?.slug}</dd>
            </div>
            <div className="flex gap-3 px-4 py-2.5">
              <dt className="w-32 text-slate-500">Your role</dt>
              <dd>
                <Badge>{String(activeRole(me) ?? "—").toLowerCase()}</Badge>
              </dd>
            </div>
            <div className="px-4 py-2.5">
              <dt className="mb-1 text-slate-500">Workspace ID</dt>
              <dd>{t?.id && <CopyField value={t.id} label="Workspace ID" />}</dd>
            </div>
          </dl>
        </Card>
        <Card>
          <CardHeader title="Plan and usage" actions={<Badge tone="violet">{plan}</Badge>} />
          <div className="space-y-4 p-4">
            <Meter label="Executions this month" used={usage.data?.executions} limit={usage.data?.executionsLimit ?? limits.executions} loading={usage.isPending} />
            <Meter label="Messages this month" used={usage.data?.messages} limit={usage.data?.messagesLimit} loading={usage.isPending} />
            <Meter label="Workflows" used={workflows.data?.items?.length} limit={limits.workflows} loading={workflows.isPending} />
            <Meter label="Members" used={members.data?.length} limit={limits.members} loading={members.isPending} />
            {usage.isError && <p className="text-xs text-slate-400">Monthly usage figures are not available yet.</p>}
          </div>
        </Card>
      </div>
    </>
  );
}
