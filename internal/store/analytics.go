package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// AnalyticsStore answers the tenant's reports (executions and messages per
// day, A/B splits, conversion to a goal event) and keeps the daily rollups
// that make the first two cheap on large histories.
//
// The rollup tables hold finished history folded once, per tenant,
// workflow and UTC day, up to the tenant's watermarks; a report reads the
// rollup up to the watermark and the live rows after it in one statement
// (one snapshot), so a fold committing meanwhile is never counted twice
// or missed. Test runs are left out everywhere.
type AnalyticsStore interface {
	// AnalyticsWatermarkGet returns how far the tenant's history is folded
	// into the rollups (the zero time for a part never folded).
	AnalyticsWatermarkGet(ctx context.Context, tenantID uuid.UUID) (AnalyticsWatermark, error)
	// AnalyticsRollup folds the tenant's history between its watermarks and
	// p's into the rollups and moves the watermarks there, in the caller's
	// transaction: executions that finished (COMPLETED, FAILED, CANCELLED)
	// before p.ExecutionsThrough, messages queued before
	// p.MessagesThrough (a UTC midnight). With the executions go their A/B
	// split variants (per day of entry) and, on PostgreSQL, each one's
	// first event per event name within AnalyticsMaxWithin after entry
	// (events received before p.ExecutionsThrough; those received later
	// are folded by later folds). A watermark never moves back: a p before
	// it folds nothing of that part.
	AnalyticsRollup(ctx context.Context, tenantID uuid.UUID, p AnalyticsWatermark) (AnalyticsRollupCounts, error)
	// AnalyticsUnfoldExecution takes a finished execution back out of the
	// rollups when it was folded (it returns whether it was), in the
	// caller's transaction, before the execution runs again (a retry of a
	// FAILED execution): its counts leave every rollup, so that the
	// reports count it live from then on and its next finish is folded
	// once. Call it with the execution locked and not changed yet in the
	// transaction. On PostgreSQL it holds the tenant's watermark row FOR
	// SHARE until the transaction ends, so no fold runs in between.
	AnalyticsUnfoldExecution(ctx context.Context, tenantID, executionID uuid.UUID) (bool, error)

	// AnalyticsExecutionDays counts per UTC day in [p.From, p.To) the
	// executions created (started) and those that reached COMPLETED, FAILED
	// and CANCELLED (on the day they finished). Days without any count are
	// left out.
	AnalyticsExecutionDays(ctx context.Context, p *AnalyticsPeriodParams) ([]ExecutionDay, error)
	// AnalyticsExecutionsNow counts the executions pending or running
	// (Running) and waiting (Waiting) at this moment.
	AnalyticsExecutionsNow(ctx context.Context, p *AnalyticsPeriodParams) (ExecutionsNow, error)
	// AnalyticsMessageDays counts per UTC day the message was queued in
	// [p.From, p.To) and channel, the messages that reached each status.
	// Days without messages are left out.
	AnalyticsMessageDays(ctx context.Context, p *AnalyticsPeriodParams) ([]MessageDay, error)
	// AnalyticsSplitVariants counts, per split node and variant taken, the
	// workflow's executions created in the period: entered, completed,
	// failed, converted to the goal event, and per end node reached.
	// p.Within is at most AnalyticsMaxWithin (else ErrAnalyticsParams).
	AnalyticsSplitVariants(ctx context.Context, p *AnalyticsGoalParams) ([]SplitVariantCount, error)
	// AnalyticsConversion counts per UTC day of entry the workflow's
	// executions created in the period and those whose contact had an
	// event named p.Goal within p.Within after the execution was created,
	// with the median time to that first event. p.Within is at most
	// AnalyticsMaxWithin (else ErrAnalyticsParams).
	AnalyticsConversion(ctx context.Context, p *AnalyticsGoalParams) (Conversion, error)
}

// The node types the rollup folds as A/B splits and ends, and the longest
// conversion window a report may ask for (the horizon of the folded first
// goal events). internal/analytics checks the node types against the
// workflow package's.
const (
	AnalyticsSplitType = "split"
	AnalyticsEndType   = "end"
	AnalyticsMaxWithin = 90 * 24 * time.Hour
)

// ErrAnalyticsParams is returned for goal params the rollups cannot
// answer: node types other than AnalyticsSplitType and AnalyticsEndType,
// or a window longer than AnalyticsMaxWithin.
var ErrAnalyticsParams = errors.New("analytics: node types or window not folded")

// AnalyticsWatermark is how far a tenant's history is folded into the
// rollups: executions finished before ExecutionsThrough, messages queued
// before MessagesThrough.
type AnalyticsWatermark struct {
	ExecutionsThrough time.Time
	MessagesThrough   time.Time
}

// AnalyticsRollupCounts are the rows one fold read.
type AnalyticsRollupCounts struct {
	Executions int64
	Messages   int64
	// GoalFirsts is the first-event rows written or lowered.
	GoalFirsts int64
}

// AnalyticsPeriodParams name a tenant's period of whole UTC days, a
// workflow (uuid.Nil: all) and a channel ("": all; messages only).
type AnalyticsPeriodParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	Channel    string
	// From and To are UTC midnights; the period is [From, To).
	From, To time.Time
}

// AnalyticsGoalParams name a workflow, a period of entry and a goal event.
type AnalyticsGoalParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	From, To   time.Time
	// SplitType and EndType are the node types of splits and ends
	// (workflow.TypeSplit, workflow.TypeEnd), passed in so that node-type
	// names are written in one package.
	SplitType, EndType string
	// Goal is the event name; "" counts no conversions.
	Goal   string
	Within time.Duration
}

// ExecutionDay is one UTC day's execution counts.
type ExecutionDay struct {
	Day                                   time.Time
	Started, Completed, Failed, Cancelled int64
}

// ExecutionsNow counts the executions not finished at this moment.
type ExecutionsNow struct {
	Running, Waiting int64
}

// MessageDay is one UTC day's and channel's message counts: Total
// messages queued (skipped ones left out), and how many reached each
// status.
type MessageDay struct {
	Day                                           time.Time
	Channel                                       string
	Total, Sent, Delivered, Read, Failed, Bounced int64
}

// SplitVariantCount is one split node's variant.
type SplitVariantCount struct {
	NodeID, Variant                       string
	Entered, Completed, Failed, Converted int64
	// Ends counts, per end node, the executions of the variant that reached it.
	Ends map[string]int64
}

// Conversion is a workflow's conversion to a goal event.
type Conversion struct {
	Days []ConversionDay
	// MedianSeconds is the median time from entry to the goal event of the
	// converted executions (0 when none converted).
	MedianSeconds float64
}

// ConversionDay is one UTC day of entry.
type ConversionDay struct {
	Day                time.Time
	Entries, Converted int64
}
