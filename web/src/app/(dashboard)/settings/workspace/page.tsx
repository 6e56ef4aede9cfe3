"use client";
import { useMe, activeRole } from "@/entities/session";
import { formatLimit, limitLabel, usageShare, useUsage } from "@/entities/workspace";
import { ChangePlanButton } from "@/features/plan-change";
import { errorMessage, type Plan, type UsageItem } from "@/shared/api";
import { Badge, Card, CardHeader, CopyField, ErrorState, PageHeader, Skeleton } from "@/shared/ui";

function UsageBar({ item }: { item: UsageItem }) {
  const label = limitLabel(item.limit);
  const pct = usageShare(item.used, item.value);
  const unlimited = item.value < 0;
  return (
    <div data-testid={`usage-${item.limit}`}>
      <div className="mb-1 flex justify-between gap-3 text-sm">
        <span className="text-slate-700">{label}</span>
        <span className="tabular-nums text-slate-500">
          {item.used.toLocaleString("en")} / {formatLimit(item.value)}
        </span>
      </div>
      <div className="h-2 rounded-full bg-slate-100" role="progressbar" aria-label={label} aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
        {!unlimited && (
          <div className={`h-2 rounded-full ${pct >= 100 ? "bg-red-500" : pct > 80 ? "bg-amber-500" : "bg-brand-500"}`} style={{ width: `${Math.max(pct, item.used > 0 ? 1 : 0)}%` }} />
        )}
      </div>
    </div>
  );
}

function interval(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export default function WorkspacePage() {
  const { data: me } = useMe();
  const t = me?.activeTenant;
  const role = activeRole(me);
  const usage = useUsage();
  const u = usage.data;
  const plan = (u?.plan ?? t?.plan ?? "FREE") as Plan;
  const until = u ? new Date(new Date(u.periodEnd).getTime() - 1).toLocaleDateString("en", { month: "long", day: "numeric", timeZone: "UTC" }) : "";
  return (
    <>
      <PageHeader title="Workspace settings" description="Your workspace, its plan and what it has used this month." />
      <div className="grid items-start gap-5 lg:grid-cols-2">
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
                <Badge>{String(role ?? "—").toLowerCase()}</Badge>
              </dd>
            </div>
            <div className="px-4 py-2.5">
              <dt className="mb-1 text-slate-500">Workspace ID</dt>
              <dd>{t?.id && <CopyField value={t.id} label="Workspace ID" />}</dd>
            </div>
          </dl>
        </Card>
        <Card>
          <CardHeader
            title="Plan and usage"
            actions={
              <div className="flex items-center gap-2">
                <Badge tone="violet" data-testid="plan-badge">
                  {plan}
                </Badge>
                {role === "OWNER" && u && <ChangePlanButton current={plan} />}
              </div>
            }
          />
          <div className="space-y-4 p-4">
            {usage.isPending ? (
              Array.from({ length: 5 }, (_, i) => <Skeleton key={i} className="h-7 w-full" />)
            ) : usage.isError || !u ? (
              <ErrorState error={errorMessage(usage.error)} onRetry={() => void usage.refetch()} />
            ) : (
              <>
                {(u.items ?? []).map((it) => (
                  <UsageBar key={it.limit} item={it} />
                ))}
                <dl className="grid grid-cols-2 gap-3 border-t border-slate-100 pt-3 text-sm">
                  <div>
                    <dt className="text-slate-500">Schedules run at most every</dt>
                    <dd className="font-medium text-slate-900">{interval(u.minScheduleIntervalSeconds)}</dd>
                  </div>
                  <div>
                    <dt className="text-slate-500">API requests</dt>
                    <dd className="font-medium text-slate-900">
                      {u.apiRequestsPerSecond.toLocaleString("en")}/s, bursts of {u.apiBurst.toLocaleString("en")}
                    </dd>
                  </div>
                </dl>
                <p className="text-xs text-slate-500">Monthly figures count from the 1st (UTC) and start over after {until}.</p>
              </>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}
