package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/config"
)

type stubbornArgs struct{}

func (stubbornArgs) Kind() string { return "app_test_stubborn" }

// stubbornWorker ignores its context, as a job stuck in a render or a
// library call would.
type stubbornWorker struct {
	river.WorkerDefaults[stubbornArgs]
	started chan struct{}
}

func (w *stubbornWorker) Work(context.Context, *river.Job[stubbornArgs]) error {
	close(w.started)
	time.Sleep(time.Minute)
	return nil
}

// Shutdown ends within NEXTFLOW_SHUTDOWN_TIMEOUT (plus closeSlack) even
// when a running job ignores its context.
func TestRunReturnsByTheShutdownDeadlineWhenAJobIgnoresItsContext(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load([]string{"--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--shutdown-timeout", "2s"},
		func(string) string { return "" })
	require.NoError(t, err)
	a, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	w := &stubbornWorker{started: make(chan struct{})}
	river.AddWorker(a.workers, w)
	_, err = a.store.Queue().Insert(context.Background(), stubbornArgs{}, nil)
	require.NoError(t, err)

	ctx, signal := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-w.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the job did not start")
	}
	signal() // SIGTERM
	stopped := time.Now()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(cfg.ShutdownTimeout + closeSlack + 10*time.Second):
		t.Fatal("Run did not return after the shutdown deadline")
	}
	require.WithinDuration(t, stopped.Add(cfg.ShutdownTimeout), time.Now(), closeSlack+time.Second,
		"Run waited for the job until the deadline and no longer")
}
