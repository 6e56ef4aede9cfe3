package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Args is the River job that prunes every tenant's expired history.
type Args struct{}

// Kind names the job.
func (Args) Kind() string { return "nextflow.retention_prune" }

// InsertOpts keep one prune job at a time: a periodic insert while the
// last prune still runs (or waits) is skipped.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 5,
		UniqueOpts:  store.OneAtATime(),
	}
}

// PeriodicJob returns the River periodic job that prunes every interval
// (and once when a leader starts). River runs periodic jobs on its elected
// leader only, so one node prunes at a time.
func PeriodicJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return Args{}, nil },
		&river.PeriodicJobOpts{ID: Args{}.Kind(), RunOnStart: true})
}

// RegisterWorkers adds the prune job's worker.
func (p *Pruner) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &worker{p: p})
}

type worker struct {
	river.WorkerDefaults[Args]
	p *Pruner
}

// Timeout: a prune runs as long as the backlog takes, batch by batch; a
// node that dies loses the job's lease and the next run (its retry, or the
// next period's) goes on from what was committed.
func (w *worker) Timeout(*river.Job[Args]) time.Duration { return -1 }

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	began := time.Now()
	rep, err := w.p.Prune(ctx, RunOptions{})
	attrs := []any{"took", time.Since(began).Round(time.Millisecond), "batches", rep.Batches()}
	for _, k := range Kinds {
		if n := rep.Total(k); n > 0 {
			attrs = append(attrs, string(k), n)
		}
	}
	if err != nil {
		w.p.log.WarnContext(ctx, "history prune stopped; the next run goes on", append(attrs, "error", err)...)
		return fmt.Errorf("prune history: %w", err)
	}
	level := slog.LevelDebug
	if rep.Batches() > 0 && rep.Total(KindExecutions)+rep.Total(KindEvents)+rep.Total(KindAudit) > 0 {
		level = slog.LevelInfo
	}
	w.p.log.Log(ctx, level, "history pruned", attrs...)
	return nil
}
