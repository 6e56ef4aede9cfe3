package enginebench_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/engine/enginebench"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestBench runs the bench small on both backends to keep it working; set
// NEXTFLOW_BENCH_EXECUTIONS for a real measurement (printed with -v).
func TestBench(t *testing.T) {
	t.Parallel()
	n := 100
	if v, err := strconv.Atoi(os.Getenv("NEXTFLOW_BENCH_EXECUTIONS")); err == nil && v > 0 {
		n = v
	}
	for _, b := range []struct {
		name string
		open func(testing.TB, ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			workers := river.NewWorkers()
			st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
			res, err := enginebench.Run(context.Background(), st, enginebench.Config{Workers: workers, Executions: n})
			require.NoError(t, err)
			require.Zero(t, res.Pure.Incomplete)
			require.Zero(t, res.HTTP.Incomplete)
			require.Zero(t, res.Effect.Incomplete)
			require.Zero(t, res.EffectPaced.Incomplete)
			require.Equal(t, n, res.Tenants.Executions)
			require.Zero(t, res.Tenants.Incomplete)
			require.Zero(t, res.TenantsPaced.Incomplete)
			for _, p := range []enginebench.Phase{res.Email, res.EmailPaced, res.WhatsApp, res.WhatsAppPaced} {
				require.NotZero(t, p.Executions, p.Name)
				require.Zero(t, p.Incomplete, p.Name)
			}
			require.Zero(t, res.River.Incomplete)
			t.Log("\n" + res.String())
		})
	}
}
