package analytics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Args is the River job that folds every tenant's history into the
// rollups.
type Args struct{}

// Kind names the job.
func (Args) Kind() string { return "nextflow.analytics_rollup" }

// InsertOpts keep one rollup job at a time.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 5,
		UniqueOpts:  store.OneAtATime(),
	}
}

// PeriodicJob returns the River periodic job that folds every interval
// (and once when a leader starts); River runs it on its elected leader.
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{ID: Args{}.Kind(), RunOnStart: true})
}

// RegisterWorkers adds the rollup job's worker.
func (r *Roller) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &worker{r: r})
}

type worker struct {
	river.WorkerDefaults[Args]
	r *Roller
}

// Timeout: the first fold of a large history reads it all; later ones
// read the few minutes since the last.
func (w *worker) Timeout(*river.Job[Args]) time.Duration { return -1 }

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	began := time.Now()
	rep, err := w.r.Run(ctx)
	attrs := []any{"took", time.Since(began).Round(time.Millisecond), "tenants", rep.Tenants,
		"executions", rep.Executions, "messages", rep.Messages}
	if err != nil {
		w.r.log.WarnContext(ctx, "analytics rollup stopped; the next run goes on", append(attrs, "error", err)...)
		return fmt.Errorf("analytics rollup: %w", err)
	}
	level := slog.LevelDebug
	if rep.Executions+rep.Messages > 0 {
		level = slog.LevelInfo
	}
	w.r.log.Log(ctx, level, "analytics folded", attrs...)
	return nil
}
