package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// queue is the store's River client behind store.Queue.
type queue struct {
	client   *river.Client[*sql.Tx]
	workNone bool
}

var _ store.Queue = (*queue)(nil)

// riverConfig turns a store.QueueConfig into River's configuration with the
// SQLite defaults applied.
func riverConfig(cfg store.QueueConfig, logger *slog.Logger) *river.Config {
	maxWorkers := cfg.MaxWorkers
	if maxWorkers <= 0 {
		maxWorkers = defaultMaxWorkers
	}
	rc := &river.Config{
		FetchCooldown:     durationOr(cfg.FetchCooldown, defaultFetchCooldown),
		FetchPollInterval: durationOr(cfg.FetchPollInterval, defaultFetchPollInterval),
		JobTimeout:        durationOr(cfg.JobTimeout, defaultJobTimeout),
		// A job left running by a process that died is worked again after
		// this (River's default is an hour).
		RescueStuckJobsAfter:        durationOr(cfg.RescueAfter, store.RescueAfterFor(durationOr(cfg.JobTimeout, defaultJobTimeout))),
		CompletedJobRetentionPeriod: durationOr(cfg.CompletedRetention, store.DefaultCompletedRetention),
		Logger:                      logger,
		// Future jobs are picked up within a fetch poll of their time.
		Middleware: []rivertype.Middleware{&store.PreciseScheduling{}},
		Workers:    cfg.Workers,
	}
	if cfg.WorkNone {
		return rc
	}
	if rc.Workers == nil {
		// Workers added to this bundle later are seen at work time.
		rc.Workers = river.NewWorkers()
	}
	rc.Queues = map[string]river.QueueConfig{}
	for name, n := range cfg.Queues {
		if n <= 0 {
			n = maxWorkers
		}
		rc.Queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	if len(rc.Queues) == 0 {
		rc.Queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: maxWorkers}
	}
	return rc
}

func durationOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func newQueue(driver *riversqlite.Driver, cfg store.QueueConfig, logger *slog.Logger) (*queue, error) {
	client, err := river.NewClient(driver, riverConfig(cfg, logger))
	if err != nil {
		return nil, fmt.Errorf("create river client: %w", err)
	}
	return &queue{client: client, workNone: cfg.WorkNone}, nil
}

// Start begins working jobs. On an insert-only queue (WorkNone) it does
// nothing.
func (q *queue) Start(ctx context.Context) error {
	if q.workNone {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	return nil
}

// Stop waits for running jobs to finish; when ctx ends first, it cancels
// them and waits a little longer for them to return.
func (q *queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stop river client: %w", err)
	}
	hardCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if hardErr := q.client.StopAndCancel(hardCtx); hardErr != nil {
		return fmt.Errorf("stop river client: %w", errors.Join(err, hardErr))
	}
	return nil
}

// Insert inserts a job in its own transaction. Do not call it inside InTx:
// the writer has one connection, which the transaction holds.
func (q *queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert job %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Subscribe returns River events of the given kinds.
func (q *queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.client.Subscribe(kinds...)
}
