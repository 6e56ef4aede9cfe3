"use client";
import { Activity, Mail } from "lucide-react";
import {
  ChannelsChart,
  channelRows,
  count,
  executionSeries,
  ExecutionsChart,
  hasExecutions,
  percent,
  ratio,
  useExecutionAnalytics,
  useMessageAnalytics,
  StatTile,
  type AnalyticsFilter,
} from "@/entities/analytics";
import { errorMessage, isMissingRoute } from "@/shared/api";
import { Card, CardHeader, EmptyState, ErrorState, Skeleton, table } from "@/shared/ui";


function Unavailable({ what }: { what: string }) {
  return <EmptyState title={`${what} are not available on this server yet`} description="This NextFlow version does not serve the analytics API." />;
}

/** Headline figures and the per-day chart of executions for the filter. */
function ExecutionsSection({ filter }: { filter: AnalyticsFilter | null }) {
  const q = useExecutionAnalytics(filter);
  const d = q.data;
  const rows = executionSeries(d);
  const finished = d ? d.totals.completed + d.totals.failed + d.totals.cancelled : 0;
  return (
    <>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6" data-testid="execution-totals">
        {q.isPending ? (
          Array.from({ length: 6 }, (_, i) => <Skeleton key={i} className="h-[68px]" />)
        ) : d ? (
          <>
            <StatTile label="Started" value={count(d.totals.started)} testId="total-started" />
            <StatTile label="Completed" value={count(d.totals.completed)} hint={finished ? `${percent(ratio(d.totals.completed, finished))} of finished` : undefined} tone="green" testId="total-completed" />
            <StatTile label="Failed" value={count(d.totals.failed)} hint={finished ? `${percent(ratio(d.totals.failed, finished))} of finished` : undefined} tone={d.totals.failed ? "red" : undefined} testId="total-failed" />
            <StatTile label="Cancelled" value={count(d.totals.cancelled)} testId="total-cancelled" />
            <StatTile label="Running now" value={count(d.now.running)} tone="sky" testId="now-running" />
            <StatTile label="Waiting now" value={count(d.now.waiting)} tone="amber" testId="now-waiting" />
          </>
        ) : null}
      </div>
      <Card className="mt-4" data-testid="executions-card">
        <CardHeader title="Executions per day" description="Started each UTC day, and finished by the status they ended in." />
        <div className="p-4">
          {q.isPending ? (
            <Skeleton className="h-[260px]" />
          ) : q.isError && isMissingRoute(q.error) ? (
            <Unavailable what="Execution analytics" />
          ) : q.isError ? (
            <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
          ) : !hasExecutions(d) ? (
            <EmptyState
              icon={<Activity className="size-5" />}
              title="No executions in this period"
              description="When workflows run, each day shows how many executions started and how many completed, failed or were cancelled. Activate a workflow or pick a longer period."
            />
          ) : (
            <div data-testid="executions-chart">
              <ExecutionsChart rows={rows} />
            </div>
          )}
        </div>
      </Card>
    </>
  );
}

/** Message delivery per channel: the counts as a chart and a table with the rates. */
function MessagesSection({ filter }: { filter: AnalyticsFilter | null }) {
  const q = useMessageAnalytics(filter);
  const rows = channelRows(q.data);
  return (
    <Card className="mt-4" data-testid="messages-card">
      <CardHeader title="Message delivery by channel" description="Messages queued in the period by channel and what became of them. Delivered and bounced are shares of sent, read of delivered, failed of all queued." />
      {q.isPending ? (
        <div className="p-4">
          <Skeleton className="h-[240px]" />
        </div>
      ) : q.isError && isMissingRoute(q.error) ? (
        <Unavailable what="Message analytics" />
      ) : q.isError ? (
        <ErrorState error={errorMessage(q.error)} onRetry={() => void q.refetch()} />
      ) : rows.length === 0 ? (
        <EmptyState
          icon={<Mail className="size-5" />}
          title="No messages in this period"
          description="When journeys send email, WhatsApp or Messenger messages, each channel shows how many were sent, delivered, read, failed or bounced, and the rates."
        />
      ) : (
        <>
          <div className="p-4" data-testid="channels-chart">
            <ChannelsChart rows={rows} />
          </div>
          <div className="overflow-x-auto border-t border-slate-200">
            <table className={`${table.root} min-w-[640px]`} data-testid="channels-table">
              <thead className={table.head}>
                <tr>
                  <th className={`${table.th} w-[16%]`}>Channel</th>
                  <th className={`${table.th} text-right`}>Sent</th>
                  <th className={`${table.th} text-right`}>Delivered</th>
                  <th className={`${table.th} text-right`}>Read</th>
                  <th className={`${table.th} text-right`}>Failed</th>
                  <th className={`${table.th} text-right`}>Bounced</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.channel} className={table.row} data-testid={`channel-row-${r.channel}`}>
                    <td className={`${table.td} font-medium text-slate-900`}>{r.label}</td>
                    <td className={`${table.td} text-right tabular-nums`} data-testid="sent">
                      {count(r.sent)}
                    </td>
                    <Cell n={r.delivered} rate={r.deliveryRate} base={r.sent} field="delivered" />
                    <Cell n={r.read} rate={r.readRate} base={r.delivered} field="read" />
                    <Cell n={r.failed} rate={r.failureRate} base={r.total} field="failed" bad />
                    <Cell n={r.bounced} rate={r.bounceRate} base={r.sent} field="bounced" bad />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Card>
  );
}

/** A count with its rate; "—" when the rate's base (sent, delivered or queued) is zero. */
function Cell({ n, rate, base, field, bad = false }: { n: number; rate: number; base: number; field: string; bad?: boolean }) {
  return (
    <td className={`${table.td} text-right tabular-nums`} data-testid={field}>
      {count(n)}
      <span className={`ml-1.5 text-xs ${bad && n > 0 ? "text-red-600" : "text-slate-500"}`} data-testid={`${field}-rate`}>
        {base > 0 ? percent(rate) : "—"}
      </span>
    </td>
  );
}

/** AnalyticsOverview: the workspace's executions and message delivery for a period (optionally one workflow). */
export function AnalyticsOverview({ filter }: { filter: AnalyticsFilter | null }) {
  return (
    <div data-testid="analytics-overview">
      <ExecutionsSection filter={filter} />
      <MessagesSection filter={filter} />
    </div>
  );
}
