package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// epoch is the watermark of a part never folded.
var epoch = time.Unix(0, 0).UTC()

const dayLayout = "2006-01-02"

// AnalyticsWatermarkGet returns how far the tenant's history is folded.
func (t *tx) AnalyticsWatermarkGet(ctx context.Context, tenantID uuid.UUID) (store.AnalyticsWatermark, error) {
	r, err := t.q.AnalyticsWatermarkGet(ctx, t.tx, tenantID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AnalyticsWatermark{ExecutionsThrough: epoch, MessagesThrough: epoch}, nil
	}
	if err != nil {
		return store.AnalyticsWatermark{}, wrap(err, "get analytics watermark of tenant %s", tenantID)
	}
	return store.AnalyticsWatermark{ExecutionsThrough: r.ExecutionsThrough.UTC(), MessagesThrough: r.MessagesThrough.UTC()}, nil
}

// AnalyticsRollup folds the tenant's history up to p into the rollups.
func (t *tx) AnalyticsRollup(ctx context.Context, tenantID uuid.UUID, p store.AnalyticsWatermark) (store.AnalyticsRollupCounts, error) {
	var out store.AnalyticsRollupCounts
	now := utc(time.Now())
	w, err := t.q.AnalyticsWatermarkLock(ctx, t.tx, &dbsqlc.AnalyticsWatermarkLockParams{TenantID: tenantID, Epoch: epoch, Now: now})
	if err != nil {
		return out, wrap(err, "lock analytics watermark of tenant %s", tenantID)
	}
	next := &dbsqlc.AnalyticsWatermarkSetParams{TenantID: tenantID, Now: now,
		ExecutionsThrough: utc(w.ExecutionsThrough), MessagesThrough: utc(w.MessagesThrough)}
	if through := utc(p.ExecutionsThrough); through.After(next.ExecutionsThrough) {
		since, until := sql.NullTime{Time: next.ExecutionsThrough, Valid: true}, sql.NullTime{Time: through, Valid: true}
		if out.Executions, err = t.q.AnalyticsRollupExecutionsCount(ctx, t.tx, &dbsqlc.AnalyticsRollupExecutionsCountParams{
			TenantID: tenantID, Since: since, Through: until}); err != nil {
			return out, wrap(err, "count executions to fold of tenant %s", tenantID)
		}
		if err := t.q.AnalyticsRollupExecutionsStarted(ctx, t.tx, &dbsqlc.AnalyticsRollupExecutionsStartedParams{
			TenantID: tenantID, Since: since, Through: until}); err != nil {
			return out, wrap(err, "fold executions started of tenant %s", tenantID)
		}
		if err := t.q.AnalyticsRollupExecutionsFinished(ctx, t.tx, &dbsqlc.AnalyticsRollupExecutionsFinishedParams{
			TenantID: tenantID, Since: since, Through: until}); err != nil {
			return out, wrap(err, "fold executions finished of tenant %s", tenantID)
		}
		next.ExecutionsThrough = through
	}
	if through := utc(p.MessagesThrough); through.After(next.MessagesThrough) {
		if out.Messages, err = t.q.AnalyticsRollupMessagesCount(ctx, t.tx, &dbsqlc.AnalyticsRollupMessagesCountParams{
			TenantID: tenantID, Since: next.MessagesThrough, Through: through}); err != nil {
			return out, wrap(err, "count messages to fold of tenant %s", tenantID)
		}
		if err := t.q.AnalyticsRollupMessages(ctx, t.tx, &dbsqlc.AnalyticsRollupMessagesParams{
			TenantID: tenantID, Since: next.MessagesThrough, Through: through}); err != nil {
			return out, wrap(err, "fold messages of tenant %s", tenantID)
		}
		next.MessagesThrough = through
	}
	if err := t.q.AnalyticsWatermarkSet(ctx, t.tx, next); err != nil {
		return out, wrap(err, "set analytics watermark of tenant %s", tenantID)
	}
	return out, nil
}

// The reports below are raw SQL: sqlc's SQLite engine cannot type the
// columns of a UNION ALL inside a CTE nor a correlated subquery in a
// select list, which these statements need to read the rollup and the
// live rows in one statement. Each has its conformance case in
// storetest/exercise_analytics.go.

// analyticsExecutionDaysSQL: the rollup days plus the executions not
// folded yet (not finished: started only; finished at or after the
// watermark). Parameters: tenant, any workflow (0/1), workflow, from day,
// to day, from time, to time.
const analyticsExecutionDaysSQL = `
WITH p AS (
    SELECT ?1 AS tenant_id, ?2 AS any_workflow, ?3 AS workflow_id, ?4 AS from_day, ?5 AS to_day, ?6 AS from_time, ?7 AS to_time
), w AS (
    SELECT coalesce((SELECT aw.executions_through FROM analytics_watermarks aw, p WHERE aw.tenant_id = p.tenant_id), ?8) AS through
), d AS (
    SELECT a.day, a.started, a.completed, a.failed, a.cancelled FROM analytics_execution_days a, p
    WHERE a.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR a.workflow_id = p.workflow_id)
      AND a.day >= p.from_day AND a.day < p.to_day
    UNION ALL
    SELECT substr(e.created_at, 1, 10), count(*), 0, 0, 0 FROM workflow_executions e, p
    WHERE e.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR e.workflow_id = p.workflow_id) AND NOT e.test
      AND e.status IN ('PENDING', 'RUNNING', 'WAITING')
      AND e.created_at >= p.from_time AND e.created_at < p.to_time
    GROUP BY 1
    UNION ALL
    SELECT substr(e.created_at, 1, 10), count(*), 0, 0, 0 FROM workflow_executions e, p, w
    WHERE e.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR e.workflow_id = p.workflow_id) AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND e.finished_at >= w.through
      AND e.created_at >= p.from_time AND e.created_at < p.to_time
    GROUP BY 1
    UNION ALL
    SELECT substr(e.finished_at, 1, 10), 0, sum(e.status = 'COMPLETED'), sum(e.status = 'FAILED'), sum(e.status = 'CANCELLED')
    FROM workflow_executions e, p, w
    WHERE e.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR e.workflow_id = p.workflow_id) AND NOT e.test
      AND e.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
      AND e.finished_at >= max(w.through, p.from_time) AND e.finished_at < p.to_time
    GROUP BY 1
)
SELECT day, sum(started), sum(completed), sum(failed), sum(cancelled) FROM d GROUP BY day ORDER BY day`

// AnalyticsExecutionDays counts executions per UTC day of the period.
func (t *tx) AnalyticsExecutionDays(ctx context.Context, p *store.AnalyticsPeriodParams) ([]store.ExecutionDay, error) {
	rows, err := t.tx.QueryContext(ctx, analyticsExecutionDaysSQL, p.TenantID, anyID(p.WorkflowID), p.WorkflowID,
		p.From.UTC().Format(dayLayout), p.To.UTC().Format(dayLayout), utc(p.From), utc(p.To), epoch)
	if err != nil {
		return nil, wrap(err, "count executions per day of tenant %s", p.TenantID)
	}
	defer rows.Close()
	out := []store.ExecutionDay{}
	for rows.Next() {
		var d store.ExecutionDay
		var day string
		if err := rows.Scan(&day, &d.Started, &d.Completed, &d.Failed, &d.Cancelled); err != nil {
			return nil, wrap(err, "scan executions per day of tenant %s", p.TenantID)
		}
		if d.Day, err = time.Parse(dayLayout, day); err != nil {
			return nil, fmt.Errorf("parse day %q: %w", day, err)
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "count executions per day of tenant %s", p.TenantID)
}

func anyID(id uuid.UUID) int {
	if id == uuid.Nil {
		return 1
	}
	return 0
}

// AnalyticsExecutionsNow counts the executions not finished now.
func (t *tx) AnalyticsExecutionsNow(ctx context.Context, p *store.AnalyticsPeriodParams) (store.ExecutionsNow, error) {
	r, err := t.q.AnalyticsExecutionsNow(ctx, t.tx, &dbsqlc.AnalyticsExecutionsNowParams{
		TenantID: p.TenantID, AnyWorkflow: int64(anyID(p.WorkflowID)), WorkflowID: p.WorkflowID,
	})
	if err != nil {
		return store.ExecutionsNow{}, wrap(err, "count unfinished executions of tenant %s", p.TenantID)
	}
	return store.ExecutionsNow{Running: r.Running, Waiting: r.Waiting}, nil
}

// analyticsMessageDaysSQL: the rollup days plus the messages queued at or
// after the watermark. Parameters: tenant, any workflow (0/1), workflow,
// channel ("" for all), from day, to day, from time, to time, epoch.
const analyticsMessageDaysSQL = `
WITH p AS (
    SELECT ?1 AS tenant_id, ?2 AS any_workflow, ?3 AS workflow_id, ?4 AS channel, ?5 AS from_day, ?6 AS to_day, ?7 AS from_time, ?8 AS to_time
), w AS (
    SELECT coalesce((SELECT aw.messages_through FROM analytics_watermarks aw, p WHERE aw.tenant_id = p.tenant_id), ?9) AS through
), d AS (
    SELECT a.day, a.channel, a.total, a.sent, a.delivered, a.read, a.failed, a.bounced FROM analytics_message_days a, p
    WHERE a.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR a.workflow_id = p.workflow_id)
      AND (p.channel = '' OR a.channel = p.channel) AND a.day >= p.from_day AND a.day < p.to_day
    UNION ALL
    SELECT substr(m.queued_at, 1, 10), m.channel, count(*),
        sum(m.sent_at IS NOT NULL OR m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL OR m.bounced_at IS NOT NULL),
        sum(m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL), sum(m.read_at IS NOT NULL),
        sum(m.status = 'failed'), sum(m.status = 'bounced')
    FROM messages m, p, w
    WHERE m.tenant_id = p.tenant_id AND (p.any_workflow = 1 OR m.workflow_id = p.workflow_id)
      AND (p.channel = '' OR m.channel = p.channel) AND m.status <> 'skipped'
      AND m.queued_at >= max(w.through, p.from_time) AND m.queued_at < p.to_time
    GROUP BY 1, 2
)
SELECT day, channel, sum(total), sum(sent), sum(delivered), sum(read), sum(failed), sum(bounced)
FROM d GROUP BY day, channel ORDER BY day, channel`

// AnalyticsMessageDays counts messages per UTC day and channel.
func (t *tx) AnalyticsMessageDays(ctx context.Context, p *store.AnalyticsPeriodParams) ([]store.MessageDay, error) {
	rows, err := t.tx.QueryContext(ctx, analyticsMessageDaysSQL, p.TenantID, anyID(p.WorkflowID), p.WorkflowID, p.Channel,
		p.From.UTC().Format(dayLayout), p.To.UTC().Format(dayLayout), utc(p.From), utc(p.To), epoch)
	if err != nil {
		return nil, wrap(err, "count messages per day of tenant %s", p.TenantID)
	}
	defer rows.Close()
	out := []store.MessageDay{}
	for rows.Next() {
		var d store.MessageDay
		var day string
		if err := rows.Scan(&day, &d.Channel, &d.Total, &d.Sent, &d.Delivered, &d.Read, &d.Failed, &d.Bounced); err != nil {
			return nil, wrap(err, "scan messages per day of tenant %s", p.TenantID)
		}
		if d.Day, err = time.Parse(dayLayout, day); err != nil {
			return nil, fmt.Errorf("parse day %q: %w", day, err)
		}
		out = append(out, d)
	}
	return out, wrap(rows.Err(), "count messages per day of tenant %s", p.TenantID)
}

// analyticsSplitsSQL: per split node and variant taken, the executions of
// the workflow created in the period. Parameters: tenant, workflow, from
// time, to time, split type, goal, within in days, end type.
const analyticsSplitsSQL = `
WITH x AS MATERIALIZED (
    SELECT DISTINCT e.id, e.status, s.node_id, s.handle AS variant,
        (?6 <> '' AND EXISTS (
            SELECT 1 FROM events ev
            WHERE ev.tenant_id = e.tenant_id AND ev.contact_id = e.contact_id AND ev.name = ?6
              AND ev.occurred_at >= e.created_at
              AND julianday(ev.occurred_at) < julianday(e.created_at) + ?7)) AS converted
    FROM workflow_executions e
    JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
    WHERE e.tenant_id = ?1 AND e.workflow_id = ?2 AND NOT e.test
      AND e.created_at >= ?3 AND e.created_at < ?4
      AND s.node_type = ?5 AND s.status = 'COMPLETED' AND s.handle <> ''
)
SELECT x.node_id, x.variant, '' AS end_node, count(*), sum(x.status = 'COMPLETED'), sum(x.status = 'FAILED'), sum(x.converted)
FROM x GROUP BY x.node_id, x.variant
UNION ALL
SELECT x.node_id, x.variant, t.node_id, count(DISTINCT x.id), 0, 0, 0
FROM x JOIN workflow_execution_steps t ON t.tenant_id = ?1 AND t.execution_id = x.id AND t.node_type = ?8
GROUP BY x.node_id, x.variant, t.node_id
ORDER BY 1, 2, 3`

// AnalyticsSplitVariants counts a workflow's executions per split variant.
func (t *tx) AnalyticsSplitVariants(ctx context.Context, p *store.AnalyticsGoalParams) ([]store.SplitVariantCount, error) {
	rows, err := t.tx.QueryContext(ctx, analyticsSplitsSQL, p.TenantID, p.WorkflowID, utc(p.From), utc(p.To),
		p.SplitType, p.Goal, p.Within.Hours()/24, p.EndType)
	if err != nil {
		return nil, wrap(err, "count split variants of workflow %s", p.WorkflowID)
	}
	defer rows.Close()
	out := []store.SplitVariantCount{}
	at := map[[2]string]int{}
	for rows.Next() {
		var (
			node, variant, end                    string
			entered, completed, failed, converted int64
		)
		if err := rows.Scan(&node, &variant, &end, &entered, &completed, &failed, &converted); err != nil {
			return nil, wrap(err, "scan split variants of workflow %s", p.WorkflowID)
		}
		k := [2]string{node, variant}
		if end == "" {
			at[k] = len(out)
			out = append(out, store.SplitVariantCount{NodeID: node, Variant: variant, Entered: entered,
				Completed: completed, Failed: failed, Converted: converted, Ends: map[string]int64{}})
		} else if i, ok := at[k]; ok {
			out[i].Ends[end] = entered
		}
	}
	return out, wrap(rows.Err(), "count split variants of workflow %s", p.WorkflowID)
}

// analyticsConversionSQL: per day of entry, the executions of the workflow
// created in the period and those whose contact had the goal event within
// the window. Parameters: tenant, workflow, from time, to time, goal,
// within in days.
const analyticsConversionSQL = `
WITH x AS (
    SELECT e.created_at, (
        SELECT min(ev.occurred_at) FROM events ev
        WHERE ev.tenant_id = e.tenant_id AND ev.contact_id = e.contact_id AND ev.name = ?5
          AND ev.occurred_at >= e.created_at AND julianday(ev.occurred_at) < julianday(e.created_at) + ?6) AS goal_at
    FROM workflow_executions e
    WHERE e.tenant_id = ?1 AND e.workflow_id = ?2 AND NOT e.test AND e.created_at >= ?3 AND e.created_at < ?4
)
SELECT substr(created_at, 1, 10), count(*), count(goal_at) FROM x GROUP BY 1 ORDER BY 1`

// analyticsConversionMedianSQL: the middle one or two of the converted
// executions' seconds to the goal event, in order. Parameters as
// analyticsConversionSQL, then how many rows and the offset.
const analyticsConversionMedianSQL = `
WITH x AS (
    SELECT e.created_at, (
        SELECT min(ev.occurred_at) FROM events ev
        WHERE ev.tenant_id = e.tenant_id AND ev.contact_id = e.contact_id AND ev.name = ?5
          AND ev.occurred_at >= e.created_at AND julianday(ev.occurred_at) < julianday(e.created_at) + ?6) AS goal_at
    FROM workflow_executions e
    WHERE e.tenant_id = ?1 AND e.workflow_id = ?2 AND NOT e.test AND e.created_at >= ?3 AND e.created_at < ?4
)
SELECT (julianday(goal_at) - julianday(created_at)) * 86400.0 AS secs FROM x WHERE goal_at IS NOT NULL
ORDER BY secs LIMIT ?7 OFFSET ?8`

// AnalyticsConversion counts a workflow's conversions to a goal event.
func (t *tx) AnalyticsConversion(ctx context.Context, p *store.AnalyticsGoalParams) (store.Conversion, error) {
	args := []any{p.TenantID, p.WorkflowID, utc(p.From), utc(p.To), p.Goal, p.Within.Hours() / 24}
	rows, err := t.tx.QueryContext(ctx, analyticsConversionSQL, args...)
	if err != nil {
		return store.Conversion{}, wrap(err, "count conversions of workflow %s", p.WorkflowID)
	}
	defer rows.Close()
	out := store.Conversion{Days: []store.ConversionDay{}}
	var converted int64
	for rows.Next() {
		var d store.ConversionDay
		var day string
		if err := rows.Scan(&day, &d.Entries, &d.Converted); err != nil {
			return store.Conversion{}, wrap(err, "scan conversions of workflow %s", p.WorkflowID)
		}
		if d.Day, err = time.Parse(dayLayout, day); err != nil {
			return store.Conversion{}, fmt.Errorf("parse day %q: %w", day, err)
		}
		converted += d.Converted
		out.Days = append(out.Days, d)
	}
	if err := rows.Err(); err != nil {
		return store.Conversion{}, wrap(err, "count conversions of workflow %s", p.WorkflowID)
	}
	rows.Close()
	if converted == 0 {
		return out, nil
	}
	n := int64(2 - converted%2)
	mrows, err := t.tx.QueryContext(ctx, analyticsConversionMedianSQL, append(args, n, (converted-1)/2)...)
	if err != nil {
		return store.Conversion{}, wrap(err, "median conversion time of workflow %s", p.WorkflowID)
	}
	defer mrows.Close()
	var sum float64
	var got int
	for mrows.Next() {
		var s float64
		if err := mrows.Scan(&s); err != nil {
			return store.Conversion{}, wrap(err, "scan median conversion time of workflow %s", p.WorkflowID)
		}
		sum += s
		got++
	}
	if got > 0 {
		out.MedianSeconds = sum / float64(got)
	}
	return out, wrap(mrows.Err(), "median conversion time of workflow %s", p.WorkflowID)
}

// AnalyticsUnfoldExecution takes a folded execution back out of the day
// rollup (the only execution rollup on SQLite; the single writer keeps
// folds out meanwhile).
func (t *tx) AnalyticsUnfoldExecution(ctx context.Context, tenantID, executionID uuid.UUID) (bool, error) {
	w, err := t.AnalyticsWatermarkGet(ctx, tenantID)
	if err != nil {
		return false, err
	}
	var workflowID, day, finishedDay, status string
	err = t.tx.QueryRowContext(ctx, `
SELECT workflow_id, substr(created_at, 1, 10), substr(finished_at, 1, 10), status FROM workflow_executions
WHERE tenant_id = ?1 AND id = ?2 AND NOT test AND status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND finished_at < ?3`,
		tenantID, executionID, utc(w.ExecutionsThrough)).Scan(&workflowID, &day, &finishedDay, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // not folded
	}
	if err != nil {
		return false, wrap(err, "find folded execution %s", executionID)
	}
	if _, err := t.tx.ExecContext(ctx, `
UPDATE analytics_execution_days SET started = started - 1 WHERE tenant_id = ?1 AND workflow_id = ?2 AND day = ?3`,
		tenantID, workflowID, day); err != nil {
		return false, wrap(err, "unfold execution %s started", executionID)
	}
	if _, err := t.tx.ExecContext(ctx, `
UPDATE analytics_execution_days SET completed = completed - (?4 = 'COMPLETED'), failed = failed - (?4 = 'FAILED'),
    cancelled = cancelled - (?4 = 'CANCELLED')
WHERE tenant_id = ?1 AND workflow_id = ?2 AND day = ?3`, tenantID, workflowID, finishedDay, status); err != nil {
		return false, wrap(err, "unfold execution %s finished", executionID)
	}
	return true, nil
}
