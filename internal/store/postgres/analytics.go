package postgres

import (
	"context"
	"errors"
	"fmt"
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
	next := dbsqlc.AnalyticsWatermarkSetParams{TenantID: tenantID, ExecutionsThrough: w.ExecutionsThrough, MessagesThrough: w.MessagesThrough,
		SplitStepsThrough: w.SplitStepsThrough}
	if p.ExecutionsThrough.After(w.ExecutionsThrough) {
		out.Executions, err = t.q.AnalyticsRollupExecutions(ctx, dbsqlc.AnalyticsRollupExecutionsParams{
			TenantID: tenantID, Since: w.ExecutionsThrough, Through: p.ExecutionsThrough,
		})
		if err != nil {
			return out, translate(err, "fold executions of tenant %s", tenantID)
		}
		err = t.q.AnalyticsRollupSplits(ctx, dbsqlc.AnalyticsRollupSplitsParams{
			TenantID: tenantID, Since: w.ExecutionsThrough, Through: p.ExecutionsThrough, EndType: store.AnalyticsEndType,
		})
		if err != nil {
			return out, translate(err, "fold split variants of tenant %s", tenantID)
		}
		// The split entries of the executions just folded leave the
		// pending rollup; then the split steps written since its
		// watermark of the executions still not folded join it.
		err = t.q.AnalyticsRollupSplitPendingOut(ctx, dbsqlc.AnalyticsRollupSplitPendingOutParams{
			TenantID: tenantID, Since: w.ExecutionsThrough, Through: p.ExecutionsThrough, SplitSince: w.SplitStepsThrough,
		})
		if err != nil {
			return out, translate(err, "fold split variants of tenant %s out of the pending ones", tenantID)
		}
		if p.ExecutionsThrough.After(w.SplitStepsThrough) {
			err = t.q.AnalyticsRollupSplitPendingIn(ctx, dbsqlc.AnalyticsRollupSplitPendingInParams{
				TenantID: tenantID, SplitSince: w.SplitStepsThrough, Through: p.ExecutionsThrough,
			})
			if err != nil {
				return out, translate(err, "fold pending split variants of tenant %s", tenantID)
			}
			next.SplitStepsThrough = p.ExecutionsThrough
		}
		out.GoalFirsts, err = t.q.AnalyticsRollupGoalFirsts(ctx, dbsqlc.AnalyticsRollupGoalFirstsParams{
			TenantID: tenantID, Since: w.ExecutionsThrough, Through: p.ExecutionsThrough,
			HorizonSeconds: store.AnalyticsMaxWithin.Seconds(),
		})
		if err != nil {
			return out, translate(err, "fold first goal events of tenant %s", tenantID)
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

// customPlans makes the transaction plan each statement for its values
// (AnalyticsCustomPlans): the reports' bounds are what make their plans.
func (t *tx) customPlans(ctx context.Context) error {
	if err := t.q.AnalyticsCustomPlans(ctx); err != nil {
		return translate(err, "plan analytics for their values")
	}
	return nil
}

// AnalyticsExecutionDays counts executions per UTC day of the period.
func (t *tx) AnalyticsExecutionDays(ctx context.Context, p *store.AnalyticsPeriodParams) ([]store.ExecutionDay, error) {
	if err := t.customPlans(ctx); err != nil {
		return nil, err
	}
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
	if err := t.customPlans(ctx); err != nil {
		return nil, err
	}
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

// foldedGoalParams reports whether the rollups answer p.
func foldedGoalParams(p *store.AnalyticsGoalParams) error {
	if p.Within > store.AnalyticsMaxWithin || (p.SplitType != "" && p.SplitType != store.AnalyticsSplitType) ||
		(p.EndType != "" && p.EndType != store.AnalyticsEndType) {
		return fmt.Errorf("%w: split %q, end %q, within %s", store.ErrAnalyticsParams, p.SplitType, p.EndType, p.Within)
	}
	return nil
}

// AnalyticsSplitVariants counts a workflow's executions per split variant:
// the split rollup plus the executions not folded, then (with a goal) the
// converted ones.
func (t *tx) AnalyticsSplitVariants(ctx context.Context, p *store.AnalyticsGoalParams) ([]store.SplitVariantCount, error) {
	if err := foldedGoalParams(p); err != nil {
		return nil, err
	}
	if err := t.customPlans(ctx); err != nil {
		return nil, err
	}
	// The watermarks read here are at most the ones the statement reads
	// (they only move forward): bounds the planner can see, so it reads the
	// few executions finished and split steps written after them through
	// their indexes.
	finishedSince, splitSince := epoch, epoch
	switch w, err := t.q.AnalyticsWatermarkGet(ctx, p.TenantID); {
	case err == nil:
		finishedSince, splitSince = w.ExecutionsThrough, w.SplitStepsThrough
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, translate(err, "get analytics watermark of tenant %s", p.TenantID)
	}
	rows, err := t.q.AnalyticsSplitCounts(ctx, dbsqlc.AnalyticsSplitCountsParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, FromTime: p.From, ToTime: p.To, SplitSince: splitSince, FinishedSince: finishedSince,
		EndType: store.AnalyticsEndType, FromDay: pgDate(p.From), ToDay: pgDate(p.To),
	})
	if err != nil {
		return nil, translate(err, "count split variants of workflow %s", p.WorkflowID)
	}
	out := make([]store.SplitVariantCount, 0, len(rows))
	at := make(map[[2]string]int, len(rows))
	for _, r := range rows {
		if r.EndNode != "" {
			continue
		}
		at[[2]string{r.NodeID, r.Variant}] = len(out)
		out = append(out, store.SplitVariantCount{
			NodeID: r.NodeID, Variant: r.Variant, Entered: r.Executions, Completed: r.Completed,
			Failed: r.Failed, Ends: map[string]int64{},
		})
	}
	for _, r := range rows {
		if i, ok := at[[2]string{r.NodeID, r.Variant}]; ok && r.EndNode != "" {
			out[i].Ends[r.EndNode] = r.Executions
		}
	}
	if p.Goal == "" || len(out) == 0 {
		return out, nil
	}
	w, err := t.AnalyticsWatermarkGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	conv, err := t.q.AnalyticsSplitConverted(ctx, dbsqlc.AnalyticsSplitConvertedParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, Goal: p.Goal, FromTime: p.From, ToTime: p.To, ReceivedSince: w.ExecutionsThrough,
		WithinSeconds: p.Within.Seconds(),
	})
	if err != nil {
		return nil, translate(err, "count split conversions of workflow %s", p.WorkflowID)
	}
	for _, r := range conv {
		if i, ok := at[[2]string{r.NodeID, r.Variant}]; ok {
			out[i].Converted = r.Converted
		}
	}
	return out, nil
}

// AnalyticsConversion counts a workflow's conversions to a goal event.
func (t *tx) AnalyticsConversion(ctx context.Context, p *store.AnalyticsGoalParams) (store.Conversion, error) {
	if err := foldedGoalParams(p); err != nil {
		return store.Conversion{}, err
	}
	if err := t.customPlans(ctx); err != nil {
		return store.Conversion{}, err
	}
	// The watermark read here is at most the one the statement reads (a
	// watermark only moves forward): a bound the planner can see.
	w, err := t.AnalyticsWatermarkGet(ctx, p.TenantID)
	if err != nil {
		return store.Conversion{}, err
	}
	rows, err := t.q.AnalyticsConversion(ctx, dbsqlc.AnalyticsConversionParams{
		ReceivedSince: w.ExecutionsThrough, Goal: p.Goal, WithinSeconds: p.Within.Seconds(), TenantID: p.TenantID, WorkflowID: p.WorkflowID,
		FromTime: p.From, ToTime: p.To, FromDay: pgDate(p.From), ToDay: pgDate(p.To),
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

// AnalyticsUnfoldExecution takes a folded execution back out of the
// rollups (see store.AnalyticsStore). The watermark row is read FOR SHARE:
// a fold committing meanwhile is waited for and its watermark seen, and a
// fold starting later waits for this transaction (and then finds the
// execution no longer finished).
func (t *tx) AnalyticsUnfoldExecution(ctx context.Context, tenantID, executionID uuid.UUID) (bool, error) {
	w, err := t.q.AnalyticsWatermarkShare(ctx, tenantID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // never folded
	}
	if err != nil {
		return false, translate(err, "lock analytics watermark of tenant %s", tenantID)
	}
	n, err := t.q.AnalyticsUnfoldExecution(ctx, dbsqlc.AnalyticsUnfoldExecutionParams{
		TenantID: tenantID, ExecutionID: executionID, Through: w.ExecutionsThrough, SplitThrough: w.SplitStepsThrough,
		EndType: store.AnalyticsEndType,
	})
	if err != nil {
		return false, translate(err, "unfold execution %s from the analytics rollups", executionID)
	}
	return n > 0, nil
}
