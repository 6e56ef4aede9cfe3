"use client";
import { useAISettings, useAIUsage } from "@/entities/ai";
import { useCan } from "@/entities/session";
import { AISettingsForm } from "@/features/ai-settings";
import { errorMessage } from "@/shared/api";
import { Card, CardHeader, EmptyState, ErrorState, PageHeader, Skeleton, TableSkeleton, table } from "@/shared/ui";

const nf = new Intl.NumberFormat("en");
const usd = (micro: number) => `$${(micro / 1e6).toFixed(micro > 0 && micro < 10_000 ? 4 : 2)}`;

export default function AISettingsPage() {
  const settings = useAISettings();
  const usage = useAIUsage();
  const canManage = useCan("workspace:manage");
  const u = usage.data ?? null;
  const pct = u && u.monthlyTokenBudget > 0 ? Math.min(100, Math.round(u.budgetUsed * 100)) : 0;
  return (
    <>
      <PageHeader
        title="AI"
        description="The provider your AI steps (generate, classify, extract) and AI-drafted journeys use, its monthly token budget, and what is redacted from recorded prompts."
      />
      <div className="grid gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <Card>
          <CardHeader title="Provider" />
          <div className="p-4">
            {settings.isPending ? (
              <Skeleton className="h-64" />
            ) : settings.isError ? (
              <ErrorState error={errorMessage(settings.error)} onRetry={() => void settings.refetch()} />
            ) : (
              <AISettingsForm key={settings.data!.updatedAt ?? "new"} settings={settings.data!} canManage={canManage} />
            )}
          </div>
        </Card>
        <Card>
          <CardHeader title={u ? `Usage in ${u.month}` : "Usage this month"} />
          <div className="space-y-4 p-4" data-testid="ai-usage">
            {usage.isPending ? (
              <TableSkeleton cols={3} rows={2} />
            ) : usage.isError ? (
              <ErrorState error={errorMessage(usage.error)} onRetry={() => void usage.refetch()} />
            ) : (
              <>
                <div>
                  <div className="flex items-baseline justify-between text-sm">
                    <span className="font-medium text-slate-900" data-testid="ai-tokens-used">
                      {nf.format(u!.tokensUsed)} tokens
                    </span>
                    <span className="text-slate-500">{u!.monthlyTokenBudget > 0 ? `of ${nf.format(u!.monthlyTokenBudget)} (${pct}%)` : "no budget"}</span>
                  </div>
                  {u!.monthlyTokenBudget > 0 && (
                    <div className="mt-2 h-2 overflow-hidden rounded bg-slate-100" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} aria-label="Budget used">
                      <div className={`h-full ${pct >= 90 ? "bg-red-500" : pct >= 70 ? "bg-amber-500" : "bg-indigo-500"}`} style={{ width: `${pct}%` }} />
                    </div>
                  )}
                  <p className="mt-1 text-xs text-slate-500">
                    {nf.format(u!.calls)} {u!.calls === 1 ? "call" : "calls"} · estimated {usd(u!.costMicroUsd)}
                  </p>
                </div>
                {(u!.byModel ?? []).length === 0 ? (
                  <EmptyState title="No AI calls this month" description="Usage appears here once an AI step runs or a journey is drafted." />
                ) : (
                  <div className="overflow-x-auto">
                    <table className={table.root}>
                      <thead className={table.head}>
                        <tr>
                          <th className={table.th}>Model</th>
                          <th className={`${table.th} text-right`}>Calls</th>
                          <th className={`${table.th} text-right`}>Tokens</th>
                          <th className={`${table.th} text-right`}>Cost</th>
                        </tr>
                      </thead>
                      <tbody>
                        {(u!.byModel ?? []).map((m) => (
                          <tr key={`${m.provider}/${m.model}`} className={table.row} data-testid="ai-usage-row">
                            <td className={`${table.td} break-all`}>
                              <span className="font-medium text-slate-900">{m.model || "—"}</span>
                              <span className="block text-xs text-slate-500">{m.provider}</span>
                            </td>
                            <td className={`${table.td} text-right tabular-nums`}>{nf.format(m.calls)}</td>
                            <td className={`${table.td} text-right tabular-nums`}>{nf.format(m.tokensIn + m.tokensOut)}</td>
                            <td className={`${table.td} text-right tabular-nums`}>{usd(m.costMicroUsd)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            )}
          </div>
        </Card>
      </div>
    </>
  );
}
