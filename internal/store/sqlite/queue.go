package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// queue is the store's River client behind store.Queue, with the job
// leases of its process (store.QueueLease). SQLite has one working
// process: its leases keep River's rescuer off the jobs it is still
// running, and the jobs a previous process left running are handed back
// when the queue starts.
type queue struct {
	client   *river.Client[*sql.Tx]
	db       *sql.DB
	workNone bool
	nodeID   string
	interval time.Duration
	logger   *slog.Logger

	run store.LeaseRunner
}

var (
	_ store.Queue      = (*queue)(nil)
	_ store.QueueLease = (*queue)(nil)
)

// riverConfig turns a store.QueueConfig into River's configuration with the
// SQLite defaults applied.
func riverConfig(cfg store.QueueConfig, logger *slog.Logger, monitor *store.QueryMonitor) *river.Config {
	maxWorkers := cfg.MaxWorkers
	if maxWorkers <= 0 {
		maxWorkers = defaultMaxWorkers
	}
	rc := &river.Config{
		ID:                cfg.NodeID,
		FetchCooldown:     durationOr(cfg.FetchCooldown, defaultFetchCooldown),
		FetchPollInterval: durationOr(cfg.FetchPollInterval, defaultFetchPollInterval),
		JobTimeout:        durationOr(cfg.JobTimeout, defaultJobTimeout),
		// A job left running by a process that died is worked again after
		// this (River's default is an hour).
		RescueStuckJobsAfter:        durationOr(cfg.RescueAfter, store.RescueAfterFor(durationOr(cfg.JobTimeout, defaultJobTimeout))),
		CompletedJobRetentionPeriod: durationOr(cfg.CompletedRetention, store.DefaultCompletedRetention),
		Logger:                      logger,
		// Future jobs are picked up within a fetch poll of their time; every
		// job counts its queries in a scope of its own.
		Middleware: append([]rivertype.Middleware{&store.PreciseScheduling{}, monitor.JobMiddleware()}, cfg.Middleware...),
		Workers:    cfg.Workers,
	}
	if cfg.WorkNone {
		return rc
	}
	rc.CancelledJobRetentionPeriod = cfg.CancelledRetention
	rc.DiscardedJobRetentionPeriod = cfg.DiscardedRetention
	rc.PeriodicJobs = cfg.PeriodicJobs
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

func newQueue(driver *riversqlite.Driver, db *sql.DB, cfg store.QueueConfig, logger *slog.Logger, monitor *store.QueryMonitor) (*queue, error) {
	if cfg.NodeID == "" {
		cfg.NodeID = store.NewNodeID()
	}
	client, err := river.NewClient(driver, riverConfig(cfg, logger, monitor))
	if err != nil {
		return nil, fmt.Errorf("create river client: %w", err)
	}
	return &queue{client: client, db: db, workNone: cfg.WorkNone, nodeID: cfg.NodeID,
		interval: cfg.LeaseInterval, logger: logger}, nil
}

// Start hands back the jobs a previous process left running, then begins
// working jobs and renewing their leases. On an insert-only queue
// (WorkNone) it does nothing. The client runs until Stop, whatever becomes
// of ctx.
func (q *queue) Start(ctx context.Context) error {
	if q.workNone {
		return nil
	}
	expired, err := q.LeaseExpire(ctx, 0)
	if err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	if len(expired) > 0 {
		q.logger.WarnContext(ctx, "handed back the jobs a previous process left running", "jobs", len(expired))
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start river client: %w", err)
	}
	q.run.Started(ctx, q, q.interval, 0, false, q.logger)
	return nil
}

// Stop stops fetching at once and waits for running jobs, cancelling them
// near ctx's deadline (store.StopQueue); it returns by the deadline. A
// second Stop does nothing.
func (q *queue) Stop(ctx context.Context) error {
	return q.run.Stop(ctx, q.client.Stop, q.client.StopAndCancel)
}

// NodeID is this process's River client ID.
func (q *queue) NodeID() string { return q.nodeID }

// LeaseRenew sets attempted_at to now on the running jobs this process
// fetched last.
func (q *queue) LeaseRenew(ctx context.Context) (int, error) {
	res, err := q.db.ExecContext(ctx, `UPDATE river_job SET attempted_at = datetime('now', 'subsec')
WHERE state = 'running' AND json_extract(attempted_by, '$[#-1]') = ?`, q.nodeID)
	if err != nil {
		return 0, fmt.Errorf("renew job leases of %s: %w", q.nodeID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LeaseExpire makes running jobs whose attempted_at is older than expiry
// (any running job when expiry is not positive) available again at once; a
// job whose cancellation was requested is cancelled instead.
func (q *queue) LeaseExpire(ctx context.Context, expiry time.Duration) ([]store.ExpiredLease, error) {
	horizon := "+1 day"
	if expiry > 0 {
		horizon = fmt.Sprintf("-%.3f seconds", expiry.Seconds())
	}
	rows, err := q.db.QueryContext(ctx, `UPDATE river_job SET
	state = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL THEN 'cancelled' ELSE 'available' END,
	finalized_at = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL THEN datetime('now', 'subsec') END,
	scheduled_at = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL THEN scheduled_at ELSE datetime('now', 'subsec') END
WHERE state = 'running' AND (attempted_at IS NULL OR attempted_at < strftime('%Y-%m-%d %H:%M:%f', 'now', ?))
RETURNING id, coalesce(json_extract(attempted_by, '$[#-1]'), ''), coalesce(attempted_at, '')`, horizon)
	if err != nil {
		return nil, fmt.Errorf("hand back expired job leases: %w", err)
	}
	defer rows.Close()
	var out []store.ExpiredLease
	for rows.Next() {
		var e store.ExpiredLease
		var at string
		if err := rows.Scan(&e.JobID, &e.NodeID, &at); err != nil {
			return nil, fmt.Errorf("hand back expired job leases: %w", err)
		}
		e.RenewedAt, _ = time.Parse("2006-01-02 15:04:05.999999999", at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hand back expired job leases: %w", err)
	}
	return out, nil
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
