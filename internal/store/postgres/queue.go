package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// queue is the store.Queue face of the River client, with the job leases
// of this node (store.QueueLease).
type queue struct {
	client   *river.Client[pgx.Tx]
	pool     *pgxpool.Pool
	workNone bool
	nodeID   string
	interval time.Duration
	expiry   time.Duration
	logger   *slog.Logger

	run store.LeaseRunner
}

var (
	_ store.Queue      = (*queue)(nil)
	_ store.QueueLease = (*queue)(nil)
)

func newQueue(client *river.Client[pgx.Tx], pool *pgxpool.Pool, qc store.QueueConfig, logger *slog.Logger) *queue {
	return &queue{client: client, pool: pool, workNone: qc.WorkNone, nodeID: qc.NodeID,
		interval: qc.LeaseInterval, expiry: qc.LeaseExpiry, logger: logger}
}

func (q *queue) started() bool { return q.run.Running() }

// Start begins working jobs and keeping this node's job leases (renewing
// its own, handing back those of nodes that stopped). On an insert-only
// queue (WorkNone) it does nothing. The client runs until Stop, whatever
// becomes of ctx.
func (q *queue) Start(ctx context.Context) error {
	if q.workNone {
		return nil
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start queue: %w", err)
	}
	q.run.Started(ctx, q, q.interval, q.expiry, true, q.logger)
	return nil
}

// Stop stops fetching at once and waits for running jobs, cancelling them
// near ctx's deadline (store.StopQueue); it returns by the deadline. The
// leases of running jobs are renewed until they end.
func (q *queue) Stop(ctx context.Context) error {
	return q.run.Stop(ctx, q.client.Stop, q.client.StopAndCancel)
}

// Insert inserts a job in its own transaction.
func (q *queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("insert %s job: %w", args.Kind(), err)
	}
	return res, nil
}

// Subscribe returns River events of the given kinds.
func (q *queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.client.Subscribe(kinds...)
}

// NodeID is this process's River client ID.
func (q *queue) NodeID() string { return q.nodeID }

// LeaseRenew sets attempted_at to now on the running jobs this node
// fetched last (the last entry of attempted_by).
func (q *queue) LeaseRenew(ctx context.Context) (int, error) {
	tag, err := q.pool.Exec(ctx, `UPDATE river_job SET attempted_at = now()
WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, q.nodeID)
	if err != nil {
		return 0, fmt.Errorf("renew job leases of %s: %w", q.nodeID, err)
	}
	return int(tag.RowsAffected()), nil
}

// LeaseExpire makes running jobs whose attempted_at is older than expiry
// available again at once, with an entry in their errors saying whose lease
// expired; a job whose cancellation was requested is cancelled instead, as
// River's rescuer does. The attempt stays counted.
func (q *queue) LeaseExpire(ctx context.Context, expiry time.Duration) ([]store.ExpiredLease, error) {
	rows, err := q.pool.Query(ctx, `WITH expired AS (
	SELECT id FROM river_job
	WHERE state = 'running' AND attempted_at < now() - make_interval(secs => $1)
	ORDER BY id
	FOR UPDATE SKIP LOCKED
)
UPDATE river_job j SET
	state = CASE WHEN j.metadata ? 'cancel_attempted_at' THEN 'cancelled'::river_job_state ELSE 'available'::river_job_state END,
	finalized_at = CASE WHEN j.metadata ? 'cancel_attempted_at' THEN now() END,
	scheduled_at = CASE WHEN j.metadata ? 'cancel_attempted_at' THEN j.scheduled_at ELSE now() END,
	errors = array_append(j.errors, jsonb_build_object(
		'at', now(), 'attempt', greatest(j.attempt, 0), 'trace', '',
		'error', 'job lease expired: node ' || coalesce(j.attempted_by[array_length(j.attempted_by, 1)], '?') || ' stopped renewing'))
FROM expired
WHERE j.id = expired.id AND j.state = 'running'
RETURNING j.id, coalesce(j.attempted_by[array_length(j.attempted_by, 1)], ''), j.attempted_at`, expiry.Seconds())
	if err != nil {
		return nil, fmt.Errorf("hand back expired job leases: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ExpiredLease, error) {
		var e store.ExpiredLease
		err := r.Scan(&e.JobID, &e.NodeID, &e.RenewedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("hand back expired job leases: %w", err)
	}
	return out, nil
}
