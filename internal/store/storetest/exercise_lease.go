package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// leaseArgs is the job of the lease cases: its worker holds it until the
// test releases it.
type leaseArgs struct {
	Name string `json:"name"`
}

// Kind is the River job kind.
func (leaseArgs) Kind() string { return "storetest_lease" }

// leaseWorker reports each time it starts a job and holds it until release
// is closed (or its context ends).
type leaseWorker struct {
	river.WorkerDefaults[leaseArgs]
	entered chan int64
	release chan struct{}
}

// Work reports the job and waits.
func (w *leaseWorker) Work(ctx context.Context, job *river.Job[leaseArgs]) error {
	w.entered <- job.ID
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

func newLeaseWorker() (*leaseWorker, *river.Workers) {
	w := &leaseWorker{entered: make(chan int64, 16), release: make(chan struct{})}
	bundle := river.NewWorkers()
	river.AddWorker(bundle, w)
	return w, bundle
}

func (w *leaseWorker) awaitEntry(t *testing.T, what string) int64 {
	t.Helper()
	select {
	case id := <-w.entered:
		return id
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: the job was not worked", what)
		return 0
	}
}

func startQueue(t *testing.T, q store.Queue) {
	t.Helper()
	require.NoError(t, q.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

// ExerciseQueueLease runs the job lease cases (store.QueueLease) on stores
// from newStore, which must pass the options on to the backend's helper
// (SQLite, Postgres, PostgresAppRole).
func ExerciseQueueLease(t *testing.T, newStore func(t *testing.T, opts ...Option) store.Store) {
	t.Helper()
	t.Run("LeaseExpireHandsBackTheJobsOfANodeThatStoppedRenewing", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		w, bundle := newLeaseWorker()
		defer close(w.release)
		// No lease loop: this node renews by hand, and stops renewing as a
		// dead node would.
		s := newStore(t, WithQueue(store.QueueConfig{Workers: bundle, NodeID: "lease-node-a", LeaseInterval: -1}))
		q := s.Queue()
		ql, ok := q.(store.QueueLease)
		require.True(t, ok, "the queue keeps job leases")
		require.Equal(t, "lease-node-a", ql.NodeID())

		res, err := q.Insert(ctx, leaseArgs{Name: "held"}, nil)
		require.NoError(t, err)
		startQueue(t, q)
		require.Equal(t, res.Job.ID, w.awaitEntry(t, "first attempt"))

		n, err := ql.LeaseRenew(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n, "the running job is this node's")
		expired, err := ql.LeaseExpire(ctx, time.Hour)
		require.NoError(t, err)
		require.Empty(t, expired, "a fresh lease is not taken")

		// The node stops renewing: once the lease is older than the
		// expiry, the job is handed back and worked again.
		time.Sleep(50 * time.Millisecond)
		expired, err = ql.LeaseExpire(ctx, 10*time.Millisecond)
		require.NoError(t, err)
		require.Len(t, expired, 1)
		require.Equal(t, res.Job.ID, expired[0].JobID)
		require.Equal(t, "lease-node-a", expired[0].NodeID)
		require.Equal(t, res.Job.ID, w.awaitEntry(t, "attempt after the lease expired"))

		// The second attempt runs under a lease of its own.
		n, err = ql.LeaseRenew(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})

	t.Run("LeaseLoopNeverTakesTheJobOfALiveNode", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		w, bundle := newLeaseWorker()
		// The job runs several expiries long; the node renews its lease
		// far more often than it expires.
		s := newStore(t, WithQueue(store.QueueConfig{Workers: bundle, LeaseInterval: 100 * time.Millisecond, LeaseExpiry: 2 * time.Second}))
		q := s.Queue()
		_, err := q.Insert(ctx, leaseArgs{Name: "slow"}, nil)
		require.NoError(t, err)
		completed, cancel := q.Subscribe(river.EventKindJobCompleted)
		defer cancel()
		startQueue(t, q)
		w.awaitEntry(t, "slow job")
		select {
		case id := <-w.entered:
			t.Fatalf("job %d was taken from a live node", id)
		case <-time.After(7 * time.Second):
		}
		close(w.release)
		select {
		case <-completed:
		case <-time.After(20 * time.Second):
			t.Fatal("the slow job did not complete")
		}
		require.Empty(t, w.entered, "worked once")
	})
}
