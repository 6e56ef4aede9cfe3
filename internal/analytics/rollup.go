// Package analytics keeps the daily rollups the tenant reports read: a
// periodic River job folds, per tenant, the history finished since the
// tenant's watermark into per-workflow, per-day counters (the store's
// AnalyticsRollup). The engine never touches these rows, so concurrent
// executions of one workflow never wait for each other on a counter.
package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Defaults of Options.
const (
	// DefaultLag keeps the newest executions out of a fold: one finished
	// a moment ago may belong to a transaction not committed yet (its
	// finished_at is taken before the commit), and a fold never comes back
	// below its watermark. The reports count what is after the watermark
	// live, so the lag costs nothing in accuracy.
	DefaultLag = 10 * time.Minute
	// DefaultMessageSettle is how long after its UTC day ends a day of
	// messages is folded: delivery and read receipts mostly arrive within
	// minutes; one arriving after the fold is not counted.
	DefaultMessageSettle = 48 * time.Hour
	// DefaultInterval is how often the periodic job runs.
	DefaultInterval = 5 * time.Minute
)

// Options configure a Roller.
type Options struct {
	Logger        *slog.Logger
	Lag           time.Duration    // 0: DefaultLag
	MessageSettle time.Duration    // 0: DefaultMessageSettle
	Now           func() time.Time // nil: time.Now
}

// Roller folds tenants' history into the rollups.
type Roller struct {
	st   store.Store
	log  *slog.Logger
	opts Options
}

// New returns a Roller over st.
func New(st store.Store, opts Options) *Roller {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Lag <= 0 {
		opts.Lag = DefaultLag
	}
	if opts.MessageSettle <= 0 {
		opts.MessageSettle = DefaultMessageSettle
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Roller{st: st, log: opts.Logger, opts: opts}
}

// Through is how far a fold at now goes: executions finished before now
// less the lag, messages queued before the UTC midnight that ends the last
// settled day.
func (r *Roller) Through(now time.Time) store.AnalyticsWatermark {
	now = now.UTC()
	return store.AnalyticsWatermark{
		ExecutionsThrough: now.Add(-r.opts.Lag),
		MessagesThrough:   now.Add(-r.opts.MessageSettle).Truncate(24 * time.Hour),
	}
}

// Report is what one run folded.
type Report struct {
	Tenants    int
	Executions int64
	Messages   int64
}

// tenantPage is how many tenants are listed at a time.
const tenantPage = 500

// Run folds every tenant's history up to Through(now), one transaction
// per tenant. It stops at the first error; what was folded stays folded
// (each tenant's fold and its watermark commit together).
func (r *Roller) Run(ctx context.Context) (Report, error) {
	var rep Report
	through := r.Through(r.opts.Now())
	after := uuid.Nil
	for {
		var page []store.TenantPlan
		err := r.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			page, err = tx.TenantListAfter(ctx, after, tenantPage)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range page {
			c, err := r.Tenant(ctx, t.ID, through)
			if err != nil {
				return rep, err
			}
			rep.Tenants++
			rep.Executions += c.Executions
			rep.Messages += c.Messages
		}
		if len(page) < tenantPage {
			return rep, nil
		}
		after = page[len(page)-1].ID
	}
}

// Tenant folds one tenant's history up to through in one transaction.
func (r *Roller) Tenant(ctx context.Context, tenantID uuid.UUID, through store.AnalyticsWatermark) (store.AnalyticsRollupCounts, error) {
	var c store.AnalyticsRollupCounts
	err := r.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		c, err = tx.AnalyticsRollup(ctx, tenantID, through)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("fold analytics of tenant %s: %w", tenantID, err)
	}
	return c, nil
}
