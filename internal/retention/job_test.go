package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/retention"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// The periodic job runs when the queue's leader starts and prunes what
// the plans let go.
func TestPeriodicJobPrunes(t *testing.T) {
	t.Parallel()
	open := map[string]func(t testing.TB, opts ...storetest.Option) store.Store{
		"sqlite":   storetest.SQLite,
		"postgres": func(t testing.TB, opts ...storetest.Option) store.Store { return storetest.Postgres(t, opts...) },
	}
	for name, openStore := range open {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			workers := river.NewWorkers()
			st := openStore(t, storetest.WithQueue(store.QueueConfig{Workers: workers,
				PeriodicJobs: []*river.PeriodicJob{retention.PeriodicJob(time.Hour)}}))
			free := seed(t, ctx, st, domain.PlanFree)
			pro := seed(t, ctx, st, domain.PlanPro)
			p := retention.New(st, retention.Options{Pause: -1, Now: func() time.Time { return time.Now().Add(clockShift) }})
			p.RegisterWorkers(workers)

			events, cancel := st.Queue().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer cancel()
			require.NoError(t, st.Queue().Start(ctx))
			t.Cleanup(func() {
				stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
				defer stop()
				_ = st.Queue().Stop(stopCtx)
			})
			deadline := time.After(60 * time.Second)
			for done := false; !done; {
				select {
				case ev := <-events:
					if ev.Job.Kind != (retention.Args{}).Kind() {
						continue
					}
					require.Equal(t, river.EventKindJobCompleted, ev.Kind, "prune job: %v", ev.Job.Errors)
					done = true
				case <-deadline:
					t.Fatal("no prune job ran within 60s of the queue's start")
				}
			}
			left := remaining(t, ctx, st, free)
			require.Equal(t, allRows()["executions"]-oldExecutions, left["executions"])
			require.Equal(t, allRows()["events"]-oldEvents, left["events"])
			require.Zero(t, left["audit"])
			require.Equal(t, allRows(), remaining(t, ctx, st, pro))
		})
	}
}
