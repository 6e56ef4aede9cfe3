// Package cronbench measures the cron scheduler through its exported API:
// how late schedules due in the same second start their executions
// (nextflow bench cron).
package cronbench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/cron"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Result is the lateness of schedules due in the same second.
type Result struct {
	Schedules int
	Fired     int
	P50, P99  time.Duration
	Max       time.Duration
}

// String renders the result as one line.
func (r *Result) String() string {
	return fmt.Sprintf("cron: %d schedules due in the same second, %d fired; lateness due→start p50 %s, p99 %s, max %s",
		r.Schedules, r.Fired, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond))
}

// LatencyRecorder wraps a StartFunc and records how late each schedule's
// first occurrence started.
type LatencyRecorder struct {
	start    cron.StartFunc
	mu       sync.Mutex
	lateness map[uuid.UUID]time.Duration
	want     int
	done     chan struct{}
}

// NewLatencyRecorder wraps start; build the Scheduler with its Start.
func NewLatencyRecorder(start cron.StartFunc) *LatencyRecorder {
	return &LatencyRecorder{start: start, lateness: map[uuid.UUID]time.Duration{}, done: make(chan struct{})}
}

func (r *LatencyRecorder) reset(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lateness = map[uuid.UUID]time.Duration{}
	r.want = n
	r.done = make(chan struct{})
}

// Start is the recording StartFunc.
func (r *LatencyRecorder) Start(ctx context.Context, tx store.Tx, o cron.Occurrence) error {
	late := time.Since(o.ScheduledAt)
	if err := r.start(ctx, tx, o); err != nil {
		return err
	}
	r.record(o, late)
	return nil
}

// StartMany wraps the batch start path next so that it records like
// Start; build the Scheduler with Options.StartMany set to its result.
func (r *LatencyRecorder) StartMany(next cron.StartManyFunc) cron.StartManyFunc {
	return func(ctx context.Context, tx store.Tx, os []cron.Occurrence) error {
		if err := next(ctx, tx, os); err != nil {
			return err
		}
		// Measured when the whole batch has started, not when it began.
		at := time.Now()
		for _, o := range os {
			r.record(o, at.Sub(o.ScheduledAt))
		}
		return nil
	}
}

// record keeps the lateness of a schedule's first started occurrence.
func (r *LatencyRecorder) record(o cron.Occurrence, late time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.lateness[o.CronJobID]; !ok {
		r.lateness[o.CronJobID] = late
		if len(r.lateness) == r.want {
			close(r.done)
		}
	}
}

// Run creates n schedules due in the same second (a tenant and a
// workflow of its own), measures through rec (the StartFunc s was built
// with) how late each first occurrence started its execution, then pauses
// them. The store's queue must have s's workers and be started.
func Run(ctx context.Context, st store.Store, s *cron.Scheduler, rec *LatencyRecorder, n int) (*Result, error) {
	const def = `{"nodes":[{"id":"tick","type":"trigger.schedule","config":{"cron":"* * * * * *"},"position":{"x":0,"y":0}},{"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e","source":"tick","target":"done"}]}`
	tenantID, err := benchfixture.Tenant(ctx, st, domain.PlanBiz)
	if err != nil {
		return nil, err
	}
	workflowID, err := benchfixture.Publish(ctx, st, tenantID, "cron bench", def)
	if err != nil {
		return nil, err
	}

	rec.reset(n)

	// Create them all for the same future second, far enough ahead that
	// creating them does not overlap it.
	lead := 3*time.Second + time.Duration(n)*10*time.Millisecond
	if lead > 50*time.Second {
		return nil, fmt.Errorf("bench cron: at most 4,500 schedules")
	}
	due := time.Now().Add(lead).Truncate(time.Second).Add(time.Second)
	expr := fmt.Sprintf("%d * * * * *", due.Second())
	var ids []uuid.UUID
	for i := 0; i < n; i += 200 {
		if err := st.InTx(ctx, tenantID, func(tx store.Tx) error {
			for j := i; j < min(n, i+200); j++ {
				cj, err := s.UpsertTx(ctx, tx, tenantID, workflowID, cron.StandaloneNodeID(), cron.Config{Cron: expr}, true)
				if err != nil {
					return err
				}
				ids = append(ids, cj.ID)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("bench schedules: %w", err)
		}
	}
	if time.Now().After(due) {
		return nil, fmt.Errorf("creating %d schedules took past their due time; use fewer", n)
	}
	select {
	case <-rec.done:
	case <-time.After(time.Until(due) + 60*time.Second):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for i := 0; i < len(ids); i += 200 {
		_ = st.InTx(ctx, tenantID, func(tx store.Tx) error {
			for _, id := range ids[i:min(len(ids), i+200)] {
				if _, err := s.PauseTx(ctx, tx, tenantID, id); err != nil {
					return err
				}
			}
			return nil
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	vals := make([]time.Duration, 0, len(rec.lateness))
	for _, d := range rec.lateness {
		vals = append(vals, d)
	}
	slices.Sort(vals)
	r := &Result{Schedules: n, Fired: len(vals)}
	if len(vals) > 0 {
		r.P50 = vals[len(vals)*50/100]
		r.P99 = vals[min(len(vals)-1, len(vals)*99/100)]
		r.Max = vals[len(vals)-1]
	}
	return r, nil
}
