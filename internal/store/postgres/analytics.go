package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// epoch is the watermark of a part never folded.
var epoch = time.Unix(0, 0).UTC()

// AnalyticsWatermarkGet returns how far the tenant's history is folded.
func (t *tx) AnalyticsWatermarkGet(ctx context.Context, tenantID uuid.UUID) (store.AnalyticsWatermark, error) {
	r, err := t.q.AnalyticsWatermarkGet(ctx, tenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AnalyticsWatermark{ExecutionsThrough: epoch, MessagesThrough: epoch}, nil
	}
	if err != nil {
		return store.AnalyticsWatermark{}, translate(err, "get analytics watermark of tenant %s", tenantID)
	}
	return store.AnalyticsWatermark{ExecutionsThrough: r.ExecutionsThrough.UTC(), MessagesThrough: r.MessagesThrough.UTC()}, nil
}

// AnalyticsRollup folds the tenant's history up to p into the rollups.
func (t *tx) AnalyticsRollup(ctx context.Context, tenantID uuid.UUID, p store.AnalyticsWatermark) (store.AnalyticsRollupCounts, error) {
	var out store.AnalyticsRollupCounts
	w, err := t.q.AnalyticsWatermarkLock(ctx, tenantID)
	if err != nil {
		return out, translate(err, "lock analytics watermark of tenant %s", tenantID)
	}
	next := dbsqlc.AnalyticsWatermarkSetParams{TenantID: tenantID, ExecutionsThrough: w.ExecutionsThrough, MessagesThrough: w.MessagesThrough}
	if p.ExecutionsThrough.After(w.ExecutionsThrough) {
		out.Executions, err = t.q.AnalyticsRollupExecutions(ctx, dbsqlc.AnalyticsRollupExecutionsParams{
			TenantID: tenantID, Since: w.ExecutionsThrough, Through: p.ExecutionsThrough,
		})
		if err != nil {
			return out, translate(err, "fold executions of tenant %s", tenantID)
		}
		next.ExecutionsThrough = p.ExecutionsThrough
	}
	if p.MessagesThrough.After(w.MessagesThrough) {
		out.Messages, err = t.q.AnalyticsRollupMessages(ctx, dbsqlc.AnalyticsRollupMessagesParams{
			TenantID: tenantID, Since: w.MessagesThrough, Through: p.MessagesThrough,
		})
		if err != nil {
			return out, translate(err, "fold messages of tenant %s", tenantID)
		}
		next.MessagesThrough = p.MessagesThrough
	}
	if err := t.q.AnalyticsWatermarkSet(ctx, next); err != nil {
		return out, translate(err, "set analytics watermark of tenant %s", tenantID)
	}
	return out, nil
}

func pgDate(t time.Time) pgtype.Date { return pgtype.Date{Time: t.UTC(), Valid: true} }

// AnalyticsExecutionDays counts executions per UTC day of the period.
func (t *tx) AnalyticsExecutionDays(ctx context.Context, p *store.AnalyticsPeriodParams) ([]store.ExecutionDay, error) {
	rows, err := t.q.AnalyticsExecutionDays(ctx, dbsqlc.AnalyticsExecutionDaysParams{
		TenantID: p.TenantID, AnyWorkflow: p.WorkflowID == uuid.Nil, WorkflowID: p.WorkflowID,
		FromDay: pgDate(p.From), ToDay: pgDate(p.To), FromTime: p.From, ToTime: p.To,
	})
	if err != nil {
		return nil, translate(err, "count executions per day of tenant %s", p.TenantID)
	}
	out := make([]store.ExecutionDay, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.ExecutionDay{Day: r.Day.UTC(), Started: r.Started, Completed: r.Completed, Failed: r.Failed, Cancelled: r.Cancelled})
	}
	return out, nil
}

// AnalyticsExecutionsNow counts the executions not finished now.
func (t *tx) AnalyticsExecutionsNow(ctx context.Context, p *store.AnalyticsPeriodParams) (store.ExecutionsNow, error) {
	r, err := t.q.AnalyticsExecutionsNow(ctx, dbsqlc.AnalyticsExecutionsNowParams{
		TenantID: p.TenantID, AnyWorkflow: p.WorkflowID == uuid.Nil, WorkflowID: p.WorkflowID,
	})
	if err != nil {
		return store.ExecutionsNow{}, translate(err, "count unfinished executions of tenant %s", p.TenantID)
	}
	return store.ExecutionsNow{Running: r.Running, Waiting: r.Waiting}, nil
}

// AnalyticsMessageDays counts messages per UTC day and channel.
func (t *tx) AnalyticsMessageDays(ctx context.Context, p *store.AnalyticsPeriodParams) ([]store.MessageDay, error) {
	rows, err := t.q.AnalyticsMessageDays(ctx, dbsqlc.AnalyticsMessageDaysParams{
		TenantID: p.TenantID, AnyWorkflow: p.WorkflowID == uuid.Nil, WorkflowID: p.WorkflowID, Channel: p.Channel,
		FromDay: pgDate(p.From), ToDay: pgDate(p.To), FromTime: p.From, ToTime: p.To,
	})
	if err != nil {
		return nil, translate(err, "count messages per day of tenant %s", p.TenantID)
	}
	out := make([]store.MessageDay, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.MessageDay{
			Day: r.Day.UTC(), Channel: r.Channel, Total: r.Total, Sent: r.Sent, Delivered: r.Delivered,
			Read: r.Read, Failed: r.Failed, Bounced: r.Bounced,
		})
	}
	return out, nil
}

// AnalyticsSplitVariants counts a workflow's executions per split variant.
func (t *tx) AnalyticsSplitVariants(ctx context.Context, p *store.AnalyticsGoalParams) ([]store.SplitVariantCount, error) {
	rows, err := t.q.AnalyticsSplitVariants(ctx, dbsqlc.AnalyticsSplitVariantsParams{
		Goal: p.Goal, WithinSeconds: p.Within.Seconds(), TenantID: p.TenantID, WorkflowID: p.WorkflowID,
		FromTime: p.From, ToTime: p.To, SplitType: p.SplitType,
	})
	if err != nil {
		return nil, translate(err, "count split variants of workflow %s", p.WorkflowID)
	}
	ends, err := t.q.AnalyticsSplitEnds(ctx, dbsqlc.AnalyticsSplitEndsParams{
		TenantID: p.TenantID, EndType: p.EndType, WorkflowID: p.WorkflowID, FromTime: p.From, ToTime: p.To, SplitType: p.SplitType,
	})
	if err != nil {
		return nil, translate(err, "count split variant ends of workflow %s", p.WorkflowID)
	}
	out := make([]store.SplitVariantCount, 0, len(rows))
	at := make(map[[2]string]int, len(rows))
	for _, r := range rows {
		at[[2]string{r.NodeID, r.Variant}] = len(out)
		out = append(out, store.SplitVariantCount{
			NodeID: r.NodeID, Variant: r.Variant, Entered: r.Entered, Completed: r.Completed,
			Failed: r.Failed, Converted: r.Converted, Ends: map[string]int64{},
		})
	}
	for _, r := range ends {
		if i, ok := at[[2]string{r.NodeID, r.Variant}]; ok {
			out[i].Ends[r.EndNode] = r.Executions
		}
	}
	return out, nil
}

// AnalyticsConversion counts a workflow's conversions to a goal event.
func (t *tx) AnalyticsConversion(ctx context.Context, p *store.AnalyticsGoalParams) (store.Conversion, error) {
	rows, err := t.q.AnalyticsConversion(ctx, dbsqlc.AnalyticsConversionParams{
		Goal: p.Goal, WithinSeconds: p.Within.Seconds(), TenantID: p.TenantID, WorkflowID: p.WorkflowID,
		FromTime: p.From, ToTime: p.To,
	})
	if err != nil {
		return store.Conversion{}, translate(err, "count conversions of workflow %s", p.WorkflowID)
	}
	out := store.Conversion{Days: make([]store.ConversionDay, 0, len(rows))}
	for _, r := range rows {
		out.Days = append(out.Days, store.ConversionDay{Day: r.Day.UTC(), Entries: r.Entries, Converted: r.Converted})
		out.MedianSeconds = r.MedianSeconds
	}
	return out, nil
}
