package httpbench_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/httpbench"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestBenches runs both benches small on both backends to keep them
// working: every request answered as expected, every event's execution
// started and completed. Speed is not asserted.
func TestBenches(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		open func(testing.TB, ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(b.name+"/webhook", func(t *testing.T) {
			t.Parallel()
			workers := river.NewWorkers()
			st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			res, err := httpbench.Webhook(context.Background(), st, httpbench.WebhookConfig{Workers: workers, Requests: 60, Clients: 8})
			require.NoError(t, err)
			require.Len(t, res.Phases, 2)
			for _, p := range res.Phases {
				require.Zero(t, p.Errors, p.FirstError)
				require.Equal(t, 60, p.Items)
			}
			t.Log("\n" + res.String())
		})
		t.Run(b.name+"/events", func(t *testing.T) {
			t.Parallel()
			workers := river.NewWorkers()
			st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			res, err := httpbench.Events(context.Background(), st, httpbench.EventsConfig{Workers: workers, Batches: 6, BatchSize: 10, Clients: 3})
			require.NoError(t, err)
			require.NotEmpty(t, res.Phases)
			require.Zero(t, res.Phases[0].Errors, res.Phases[0].FirstError)
			require.Equal(t, 60, res.Phases[0].Items)
			require.Contains(t, res.Phases[0].Extra[0], "executions started 60 ")
			t.Log("\n" + res.String())
		})
	}
}
