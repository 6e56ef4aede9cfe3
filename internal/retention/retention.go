// Package retention prunes each tenant's old history by the ages of its
// plan (internal/plan): finished executions with their steps, outbox rows
// and messages, events, and audit entries. Contacts are never pruned.
//
// A prune walks the tenants in ID order and, for each kind, deletes the
// oldest rows in batches (at most ExecutionBatchSize executions, whose
// steps, outbox rows and messages go in the same transaction, or
// BatchSize events or audit entries), one short transaction per batch with
// a pause between batches, until a batch comes back short. Every batch commits on its own, so a prune stopped by a crash
// or a shutdown has lost nothing and the next one goes on where it stopped.
// Running, waiting and pending executions, and everything they use, are
// never touched.
//
// Worker nodes prune through a River periodic job (Args), which runs on the
// leader only; `nextflow admin prune` runs the same prune by hand, or
// reports with DryRun what it would delete.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Defaults.
const (
	// DefaultBatchSize is how many events or audit entries one batch
	// deletes.
	DefaultBatchSize = 1000
	// DefaultExecutionBatchSize is how many executions one batch deletes:
	// with a handful of steps each, their steps, outbox rows and messages
	// stay near DefaultBatchSize rows per statement.
	DefaultExecutionBatchSize = 100
	// DefaultPause is the rest between two batches, leaving the database
	// to the engine's writes.
	DefaultPause = 50 * time.Millisecond
	// DefaultInterval is how often worker nodes prune.
	DefaultInterval = time.Hour
)

// Kind names the rows a prune counts.
type Kind string

// Kinds, in the order a report lists them.
const (
	KindExecutions Kind = "executions"
	KindSteps      Kind = "steps"
	KindOutbox     Kind = "outbox"
	KindMessages   Kind = "messages"
	KindEvents     Kind = "events"
	KindAudit      Kind = "audit"
)

// Kinds lists every kind in report order.
var Kinds = []Kind{KindExecutions, KindSteps, KindOutbox, KindMessages, KindEvents, KindAudit}

// Ages are how long a tenant's history is kept; zero keeps it forever.
type Ages struct {
	Executions time.Duration
	Events     time.Duration
	Audit      time.Duration
}

// Overrides replace the plans' ages for every tenant (set by the
// operator: NEXTFLOW_RETENTION and NEXTFLOW_EVENT_RETENTION). A nil field
// keeps the plan's age; zero keeps that history forever.
type Overrides struct {
	Executions *time.Duration
	Events     *time.Duration
	Audit      *time.Duration
}

// AgesFor returns the ages of plan p with the overrides applied.
func (o Overrides) AgesFor(p domain.Plan) (Ages, error) {
	l, err := plan.For(p)
	if err != nil {
		return Ages{}, err
	}
	a := Ages{Executions: l.ExecutionRetention, Events: l.EventRetention, Audit: l.AuditRetention}
	if o.Executions != nil {
		a.Executions = *o.Executions
	}
	if o.Events != nil {
		a.Events = *o.Events
	}
	if o.Audit != nil {
		a.Audit = *o.Audit
	}
	return a, nil
}

// Options configure a Pruner.
type Options struct {
	// Overrides replace the plans' ages.
	Overrides Overrides
	// BatchSize is the most events or audit entries one batch deletes
	// (default DefaultBatchSize, at most store.PruneBatchMax).
	BatchSize int
	// ExecutionBatchSize is the most executions one batch deletes, with
	// their rows (default DefaultExecutionBatchSize, at most
	// store.PruneBatchMax).
	ExecutionBatchSize int
	// Pause is the rest between batches (default DefaultPause; negative:
	// none).
	Pause  time.Duration
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Pruner deletes expired history.
type Pruner struct {
	st   store.Store
	opts Options
	log  *slog.Logger
}

// New returns a Pruner over st.
func New(st store.Store, opts Options) *Pruner {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	opts.BatchSize = min(opts.BatchSize, store.PruneBatchMax)
	if opts.ExecutionBatchSize <= 0 {
		opts.ExecutionBatchSize = DefaultExecutionBatchSize
	}
	opts.ExecutionBatchSize = min(opts.ExecutionBatchSize, store.PruneBatchMax)
	if opts.Pause == 0 {
		opts.Pause = DefaultPause
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pruner{st: st, opts: opts, log: log}
}

// RunOptions choose what one prune does.
type RunOptions struct {
	// DryRun counts what would be deleted and writes nothing.
	DryRun bool
	// TenantID limits the prune to one tenant (uuid.Nil: all).
	TenantID uuid.UUID
}

// Count is what one prune did (or would do) to one kind of one tenant.
type Count struct {
	TenantID uuid.UUID
	Plan     domain.Plan
	Kind     Kind
	// Before is the cutoff: rows older than it go.
	Before time.Time
	// Rows deleted (or, in a dry run, that would be).
	Rows int64
	// Batches is the number of delete transactions (0 in a dry run);
	// steps, outbox rows and messages share their executions' batches.
	Batches int
}

// Report is the result of one prune: a Count per tenant and kind with a
// cutoff (a kind kept forever is left out).
type Report struct {
	DryRun bool
	Counts []Count
}

// Total is the rows of kind k over all tenants.
func (r *Report) Total(k Kind) int64 {
	var n int64
	for _, c := range r.Counts {
		if c.Kind == k {
			n += c.Rows
		}
	}
	return n
}

// Batches is the number of delete transactions over all tenants and kinds.
func (r *Report) Batches() int {
	n := 0
	for _, c := range r.Counts {
		n += c.Batches
	}
	return n
}

// tenantPage is how many tenants are listed at a time.
const tenantPage = 500

// Prune deletes (or with DryRun counts) the expired history of every
// tenant, or of one. It stops at the first error, returning the report so
// far: what was deleted stays deleted.
func (p *Pruner) Prune(ctx context.Context, ro RunOptions) (*Report, error) {
	rep := &Report{DryRun: ro.DryRun}
	if ro.TenantID != uuid.Nil {
		var t *domain.Tenant
		err := p.st.Read(ctx, ro.TenantID, func(tx store.Tx) error {
			var err error
			t, err = tx.TenantGetByID(ctx, ro.TenantID)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("tenant %s: %w", ro.TenantID, err)
		}
		return rep, p.pruneTenant(ctx, store.TenantPlan{ID: t.ID, Plan: t.Plan}, ro.DryRun, rep)
	}
	after := uuid.Nil
	for {
		var page []store.TenantPlan
		err := p.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			page, err = tx.TenantListAfter(ctx, after, tenantPage)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range page {
			if err := p.pruneTenant(ctx, t, ro.DryRun, rep); err != nil {
				return rep, err
			}
		}
		if len(page) < tenantPage {
			return rep, nil
		}
		after = page[len(page)-1].ID
	}
}

// pruneTenant prunes one tenant's kinds, adding their counts to rep.
func (p *Pruner) pruneTenant(ctx context.Context, t store.TenantPlan, dryRun bool, rep *Report) error {
	ages, err := p.opts.Overrides.AgesFor(t.Plan)
	if err != nil {
		// A tenant with a plan this binary does not know (a newer one wrote
		// it) keeps its history; the others are still pruned.
		p.log.WarnContext(ctx, "tenant history not pruned", "tenant", t.ID, "error", err)
		return nil
	}
	now := p.opts.Now()
	newCount := func(k Kind, age time.Duration) Count {
		return Count{TenantID: t.ID, Plan: t.Plan, Kind: k, Before: now.Add(-age)}
	}
	if ages.Executions > 0 {
		before := now.Add(-ages.Executions)
		var got store.ExecutionPruneCounts
		var batches int
		if dryRun {
			err = p.st.Read(ctx, t.ID, func(tx store.Tx) error {
				var err error
				got, err = tx.ExecutionPruneCount(ctx, t.ID, before)
				return err
			})
		} else {
			// The analytics rollups count what is pruned here: fold the
			// tenant's history up to before first (a no-op when the rollup
			// job is already past it), so pruned days stay counted.
			err = p.st.InTx(ctx, t.ID, func(tx store.Tx) error {
				_, err := tx.AnalyticsRollup(ctx, t.ID, store.AnalyticsWatermark{ExecutionsThrough: before, MessagesThrough: before})
				return err
			})
			if err != nil {
				return fmt.Errorf("fold analytics of tenant %s before pruning: %w", t.ID, err)
			}
			batches, err = p.batches(ctx, t.ID, p.opts.ExecutionBatchSize, func(tx store.Tx) (int64, error) {
				c, err := tx.ExecutionPrune(ctx, t.ID, before, p.opts.ExecutionBatchSize)
				if err == nil {
					got = got.Add(c)
				}
				return c.Executions, err
			})
		}
		execs := newCount(KindExecutions, ages.Executions)
		execs.Rows, execs.Batches = got.Executions, batches
		steps, outbox, messages := newCount(KindSteps, ages.Executions), newCount(KindOutbox, ages.Executions), newCount(KindMessages, ages.Executions)
		steps.Rows, outbox.Rows, messages.Rows = got.Steps, got.Outbox, got.Messages
		rep.Counts = append(rep.Counts, execs, steps, outbox, messages)
		if err != nil {
			return fmt.Errorf("prune executions of tenant %s: %w", t.ID, err)
		}
	}
	type kind struct {
		k     Kind
		age   time.Duration
		prune func(tx store.Tx, before time.Time, n int) (int64, error)
		count func(tx store.Tx, before time.Time) (int64, error)
	}
	for _, kd := range []kind{
		{KindEvents, ages.Events,
			func(tx store.Tx, before time.Time, n int) (int64, error) { return tx.EventPrune(ctx, t.ID, before, n) },
			func(tx store.Tx, before time.Time) (int64, error) { return tx.EventPruneCount(ctx, t.ID, before) }},
		{KindAudit, ages.Audit,
			func(tx store.Tx, before time.Time, n int) (int64, error) { return tx.AuditPrune(ctx, t.ID, before, n) },
			func(tx store.Tx, before time.Time) (int64, error) { return tx.AuditPruneCount(ctx, t.ID, before) }},
	} {
		if kd.age <= 0 {
			continue
		}
		c := newCount(kd.k, kd.age)
		if dryRun {
			err = p.st.Read(ctx, t.ID, func(tx store.Tx) error {
				var err error
				c.Rows, err = kd.count(tx, c.Before)
				return err
			})
		} else {
			c.Batches, err = p.batches(ctx, t.ID, p.opts.BatchSize, func(tx store.Tx) (int64, error) {
				n, err := kd.prune(tx, c.Before, p.opts.BatchSize)
				if err == nil {
					c.Rows += n
				}
				return n, err
			})
		}
		rep.Counts = append(rep.Counts, c)
		if err != nil {
			return fmt.Errorf("prune %s of tenant %s: %w", kd.k, t.ID, err)
		}
	}
	return nil
}

// batches runs batch in a transaction of its own until it deletes fewer
// than size rows, pausing between batches, and returns how many
// transactions it committed.
func (p *Pruner) batches(ctx context.Context, tenantID uuid.UUID, size int, batch func(tx store.Tx) (int64, error)) (int, error) {
	for n := 0; ; {
		var rows int64
		err := p.st.InTx(ctx, tenantID, func(tx store.Tx) error {
			var err error
			rows, err = batch(tx)
			return err
		})
		if err != nil {
			return n, err
		}
		n++
		if rows < int64(size) {
			return n, nil
		}
		if p.opts.Pause > 0 {
			select {
			case <-ctx.Done():
				return n, ctx.Err()
			case <-time.After(p.opts.Pause):
			}
		} else if err := ctx.Err(); err != nil {
			return n, err
		}
	}
}
