package soakbench_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/retention/soakbench"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// A short soak on SQLite: samples are taken, and pruning keeps the
// executions left well below those started. An execution lives about
// 2.5 s here (its 1 s delay, the 1 s age, half a prune interval), so the
// rows left settle near 50–70 while those started grow 20 a second: the
// run is long enough for the two to be told apart with room to spare
// under -race on a busy machine.
func TestRunShort(t *testing.T) {
	t.Parallel()
	cfg := soakbench.Config{Workers: river.NewWorkers(), Duration: 10 * time.Second, Rate: 20, EventRate: 20,
		Age: time.Second, PruneEvery: time.Second, Sample: 2 * time.Second}
	st := storetest.SQLite(t, storetest.WithQueue(soakbench.QueueConfig(cfg)))
	res, err := soakbench.Run(context.Background(), st, cfg)
	require.NoError(t, err)
	require.Len(t, res.Samples, 6, "at 0, 2, 4, 6, 8 and 10 s")
	started := 0
	for _, s := range res.Samples {
		started += s.Started
	}
	require.Greater(t, started, 150)
	require.Positive(t, res.PruneRuns)
	last := res.Samples[len(res.Samples)-1]
	require.Less(t, last.Rows["workflow_executions"], int64(started)/2, "pruned as they age")
	require.Positive(t, last.Bytes)
	require.Contains(t, res.String(), "soak on sqlite")
}

// sample is a synthetic sample: at minutes, the size in MiB, steps rows,
// and an index's and a side table's sizes.
func sample(at int, mib float64, steps int64, ginMiB float64, usageRows int64) soakbench.Sample {
	return soakbench.Sample{At: time.Duration(at) * time.Minute, Bytes: int64(mib * (1 << 20)),
		Rows: map[string]int64{"workflow_execution_steps": steps},
		Relations: []store.RelationSize{
			{Name: "river_job_args_index", Index: true, Of: "river_job", Bytes: int64(ginMiB * (1 << 20))},
			{Name: "tenant_usage", LiveRows: usageRows, Bytes: 8192},
		}}
}

// The verdict is taken over the second half of the run: a size that
// settles during the first half is flat; growth with the rows flat is
// bloat and names the index that grew; a table whose rows pile up is
// named.
func TestVerdict(t *testing.T) {
	t.Parallel()
	cfg := soakbench.Config{Duration: 10 * time.Minute, Age: time.Minute, PruneEvery: 30 * time.Second, Sample: time.Minute}
	run := func(samples ...soakbench.Sample) (soakbench.Verdict, string) {
		r := &soakbench.Result{Dialect: "postgres", Config: cfg, Samples: samples}
		v, ok := r.Judge()
		require.True(t, ok)
		return v, r.String()
	}
	settling := []soakbench.Sample{sample(0, 1, 0, 0.1, 2), sample(2, 10, 8000, 0.5, 2), sample(4, 13, 8000, 0.6, 2),
		sample(6, 14, 8000, 0.6, 2), sample(8, 14.2, 8000, 0.6, 2), sample(10, 14.3, 8000, 0.6, 2)}
	v, out := run(settling...)
	require.True(t, v.Flat, out)
	require.Equal(t, 6*time.Minute, v.From, "from the second half")
	require.Contains(t, out, ": flat")

	bloat := []soakbench.Sample{sample(0, 1, 0, 0.1, 2), sample(2, 10, 8000, 0.5, 2), sample(4, 12, 8000, 1.5, 2),
		sample(6, 14, 8000, 2.5, 2), sample(8, 16, 8000, 3.5, 2), sample(10, 18, 8000, 4.5, 2)}
	v, out = run(bloat...)
	require.False(t, v.Flat, out)
	require.Empty(t, v.Unbounded)
	require.Equal(t, "river_job_args_index", v.Growers[0].Name)
	require.Contains(t, out, "river_job_args_index (index on river_job) +2.00 MiB")
	require.Contains(t, out, "GROWING with the rows flat")

	piling := []soakbench.Sample{sample(0, 1, 0, 0.1, 2), sample(2, 10, 8000, 0.5, 200), sample(4, 12, 9000, 0.5, 400),
		sample(6, 14, 10000, 0.5, 600), sample(8, 16, 11500, 0.5, 800), sample(10, 18, 13000, 0.5, 1000)}
	v, out = run(piling...)
	require.False(t, v.Flat, out)
	require.Equal(t, []string{"workflow_execution_steps", "tenant_usage"}, v.Unbounded)
	require.Contains(t, out, "GROWING: rows pile up in workflow_execution_steps, tenant_usage")
}

// A saw (a reindex every few samples) is judged by its peaks: flat when
// they stay level, whichever tooth the last sample falls on.
func TestVerdictSaw(t *testing.T) {
	t.Parallel()
	cfg := soakbench.Config{Duration: 12 * time.Minute, Age: time.Minute, PruneEvery: 30 * time.Second, Sample: time.Minute}
	var samples []soakbench.Sample
	for m := 0; m <= 12; m++ {
		gin := 0.5 + 0.3*float64(m%3) // grows, then a reindex
		samples = append(samples, sample(m, 14+gin, 8000, gin, 2))
	}
	samples[len(samples)-1] = sample(12, 14.5, 8000, 0.5, 2) // right after a reindex
	r := &soakbench.Result{Dialect: "postgres", Config: cfg, Samples: samples}
	v, ok := r.Judge()
	require.True(t, ok)
	require.True(t, v.Flat, r.String())
	require.InDelta(t, 0, v.Percent, 0.01)

	// The same saw climbing 0.5 MiB a minute is not.
	for i := range samples {
		samples[i].Bytes += int64(i) * (1 << 19)
	}
	v, _ = r.Judge()
	require.False(t, v.Flat, r.String())
}

// Growth while another session kept a transaction open longer than the
// history's age is not judged: vacuum could not remove the pruned rows.
func TestVerdictHeldBack(t *testing.T) {
	t.Parallel()
	cfg := soakbench.Config{Duration: 10 * time.Minute, Age: time.Minute, PruneEvery: 30 * time.Second, Sample: time.Minute}
	var samples []soakbench.Sample
	for m := 0; m <= 10; m++ {
		s := sample(m, 10+3*float64(m), 8000, 0.5, 2)
		s.Relations[1].DeadRows = int64(1000 * m)
		if m >= 4 {
			s.OldestXact = time.Duration(m-3) * time.Minute
		}
		samples = append(samples, s)
	}
	r := &soakbench.Result{Dialect: "postgres", Config: cfg, Samples: samples}
	v, ok := r.Judge()
	require.True(t, ok)
	require.False(t, v.Flat)
	require.Equal(t, 7*time.Minute, v.HeldBack)
	require.EqualValues(t, 10000, v.Dead)
	require.Contains(t, r.String(), "GROWING, NOT JUDGED: another session's transaction stayed open 7m0s")
}
