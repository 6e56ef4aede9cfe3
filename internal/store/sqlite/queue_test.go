package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
)

type heldArgs struct{}

func (heldArgs) Kind() string { return "sqlite_test_held" }

// heldWorker reports the jobs it starts and holds them until release.
type heldWorker struct {
	river.WorkerDefaults[heldArgs]
	entered chan int64
	release chan struct{}
}

func (w *heldWorker) Work(ctx context.Context, job *river.Job[heldArgs]) error {
	w.entered <- job.ID
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

func openHeld(t *testing.T, path string) (*sqlite.Store, *heldWorker) {
	w := &heldWorker{entered: make(chan int64, 4), release: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{Queue: store.QueueConfig{Workers: workers, LeaseInterval: -1}})
	require.NoError(t, err)
	t.Cleanup(func() { close(w.release); _ = s.Close() })
	return s, w
}

// SQLite has one working process: the jobs a process left running when it
// died are handed back when the next one starts its queue, not a job
// timeout and a rescue later.
func TestStartHandsBackJobsLeftRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nextflow.db")
	dead, deadWorker := openHeld(t, path)
	require.NoError(t, dead.Migrate(ctx))
	res, err := dead.Queue().Insert(ctx, heldArgs{}, nil)
	require.NoError(t, err)
	require.NoError(t, dead.Queue().Start(ctx))
	select {
	case id := <-deadWorker.entered:
		require.Equal(t, res.Job.ID, id)
	case <-time.After(20 * time.Second):
		t.Fatal("the job was not worked")
	}

	// The first process stops fetching but its job stays running, as a
	// killed process leaves it; the next one starts on the same file.
	stopCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.Error(t, dead.River().Stop(stopCtx), "the held job is still running")
	next, nextWorker := openHeld(t, path)
	require.NoError(t, next.Queue().Start(ctx))
	select {
	case id := <-nextWorker.entered:
		require.Equal(t, res.Job.ID, id, "the job left running was handed back at start")
	case <-time.After(20 * time.Second):
		t.Fatal("the job left running was not handed back")
	}
}
