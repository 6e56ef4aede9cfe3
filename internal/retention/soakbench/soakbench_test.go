package soakbench_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/retention/soakbench"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// A short soak on SQLite: samples are taken, and pruning keeps the
// executions left well below those started.
func TestRunShort(t *testing.T) {
	t.Parallel()
	cfg := soakbench.Config{Workers: river.NewWorkers(), Duration: 6 * time.Second, Rate: 20, EventRate: 20,
		Age: time.Second, PruneEvery: time.Second, Sample: 2 * time.Second}
	st := storetest.SQLite(t, storetest.WithQueue(soakbench.QueueConfig(cfg)))
	res, err := soakbench.Run(context.Background(), st, cfg)
	require.NoError(t, err)
	require.Len(t, res.Samples, 4, "at 0, 2, 4 and 6 s")
	started := 0
	for _, s := range res.Samples {
		started += s.Started
	}
	require.Greater(t, started, 60)
	require.Positive(t, res.PruneRuns)
	last := res.Samples[len(res.Samples)-1]
	require.Less(t, last.Rows["workflow_executions"], int64(started)/2, "pruned as they age")
	require.Positive(t, last.Bytes)
	require.Contains(t, res.String(), "soak on sqlite")
}
