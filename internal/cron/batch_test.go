package cron

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// firedBySchedule returns, per schedule, how many executions each of its
// occurrences got (recordingStart writes the schedule into the context).
func firedBySchedule(t *testing.T, st store.Store, f fixture) map[uuid.UUID]map[int64]int {
	t.Helper()
	ctx := context.Background()
	var execs []domain.Execution
	require.NoError(t, st.Read(ctx, f.tenantID, func(tx store.Tx) error {
		var err error
		execs, err = tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: f.tenantID, Limit: 10000})
		return err
	}))
	out := map[uuid.UUID]map[int64]int{}
	for _, e := range execs {
		var c struct {
			Trigger struct {
				ScheduledAt time.Time `json:"scheduledAt"`
				CronJobID   uuid.UUID `json:"cronJobId"`
			} `json:"trigger"`
		}
		require.NoError(t, json.Unmarshal(e.Context, &c))
		if out[c.Trigger.CronJobID] == nil {
			out[c.Trigger.CronJobID] = map[int64]int{}
		}
		out[c.Trigger.CronJobID][c.Trigger.ScheduledAt.Unix()]++
	}
	return out
}

// batchRecorder is a StartManyFunc over recordingStart that remembers the
// largest batch it was given.
type batchRecorder struct {
	start StartFunc
	mu    sync.Mutex
	max   int
}

func (b *batchRecorder) StartMany(ctx context.Context, tx store.Tx, os []Occurrence) error {
	for _, o := range os {
		if err := b.start(ctx, tx, o); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.max = max(b.max, len(os))
	return nil
}

// createSchedules creates n schedules of f's workflow with the given
// expression and policy.
func createSchedules(t *testing.T, st store.Store, s *Scheduler, f fixture, n int, c Config) []*domain.CronJob {
	t.Helper()
	ctx := context.Background()
	var out []*domain.CronJob
	require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			cj, err := s.UpsertTx(ctx, tx, f.tenantID, f.workflowID, StandaloneNodeID(), c, true)
			if err != nil {
				return err
			}
			out = append(out, cj)
		}
		return nil
	}))
	return out
}

func pauseAll(t *testing.T, st store.Store, s *Scheduler, f fixture, cjs []*domain.CronJob) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
		for _, cj := range cjs {
			if _, err := s.PauseTx(ctx, tx, f.tenantID, cj.ID); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestBatchFiresEachScheduleOnce runs many every-second schedules through
// the queue with small claim batches: the jobs of a second fire them
// together, in batches, and every occurrence of every schedule fires
// exactly once, without gaps.
func TestBatchFiresEachScheduleOnce(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store, q store.QueueConfig) {
		ctx := context.Background()
		f := seed(t, st)
		b := &batchRecorder{start: recordingStart(f)}
		s := New(st, recordingStart(f), Options{StartMany: b.StartMany, ClaimBatch: 7})
		s.RegisterWorkers(q.Workers)
		cjs := createSchedules(t, st, s, f, 40, Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsCatchUp})
		require.NoError(t, st.Queue().Start(ctx))
		t.Cleanup(func() { _ = st.Queue().Stop(context.Background()) })
		// Until every schedule has fired at least twice (however loaded
		// the machine), then pause them all.
		require.Eventually(t, func() bool {
			got := firedBySchedule(t, st, f)
			if len(got) < len(cjs) {
				return false
			}
			for _, runs := range got {
				if len(runs) < 2 {
					return false
				}
			}
			return true
		}, 30*time.Second, 100*time.Millisecond)
		pauseAll(t, st, s, f, cjs)
		time.Sleep(300 * time.Millisecond)

		got := firedBySchedule(t, st, f)
		require.Len(t, got, len(cjs), "every schedule fired")
		for _, cj := range cjs {
			runs := got[cj.ID]
			require.NotZero(t, runs[cj.NextRunAt.Unix()], "schedule %s did not fire its first occurrence: %v", cj.ID, runs)
			var lo, hi int64 = 1 << 62, 0
			for at, n := range runs {
				require.Equal(t, 1, n, "schedule %s fired %s %d times", cj.ID, time.Unix(at, 0).UTC(), n)
				lo, hi = minInt(lo, at), maxInt(hi, at)
			}
			require.Equal(t, int(hi-lo+1), len(runs), "schedule %s has gaps: %v", cj.ID, runs)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		require.Greater(t, b.max, 1, "schedules due together were started in batches")
	})
}

// TestConcurrentClaimersFireOnce lets several schedulers, on two stores
// (two nodes) of one PostgreSQL schema, fire the same due schedules at
// once, in batches and alone: each occurrence fires exactly once.
func TestConcurrentClaimersFireOnce(t *testing.T) {
	t.Parallel()
	schema := storetest.PostgresSchema(t)
	ctx := context.Background()
	var nodes []store.Store
	var f fixture
	for i := 0; i < 2; i++ {
		q := newQueue()
		// Registered so that fire jobs can be inserted; no queue runs.
		New(nil, nil, Options{}).RegisterWorkers(q.Workers)
		st, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Queue: q, Schema: schema, SystemTokens: storetest.SystemTokens})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		if i == 0 {
			require.NoError(t, st.Migrate(ctx))
			f = seed(t, st)
		}
		nodes = append(nodes, st)
	}
	// No queue runs: the schedules' jobs stay rows, and the test works
	// them by hand, all at once. The clock is pinned so that every
	// schedule is due at the same second and every claimer sees it due.
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	s0 := New(nodes[0], recordingStart(f), Options{Clock: func() time.Time { return base }})
	cjs := createSchedules(t, nodes[0], s0, f, 60, Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsCatchUp})
	due := base.Add(time.Second)
	require.Equal(t, due, cjs[0].NextRunAt.UTC())
	clock := func() time.Time { return due.Add(100 * time.Millisecond) }

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 6; i++ {
		s := New(nodes[i%2], recordingStart(f), Options{Clock: clock, ClaimBatch: 5})
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.fireDue(ctx)
		}()
	}
	for i, cj := range cjs[:20] {
		s := New(nodes[i%2], recordingStart(f), Options{Clock: clock})
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.fire(ctx, FireArgs{TenantID: f.tenantID, CronJobID: cj.ID, At: due})
			var snoozed *river.JobSnoozeError
			if !errors.As(err, &snoozed) {
				// Snoozed: another transaction held the schedule.
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got := firedBySchedule(t, nodes[1], f)
	require.Len(t, got, len(cjs))
	for _, cj := range cjs {
		require.Equal(t, map[int64]int{due.Unix(): 1}, got[cj.ID], "schedule %s", cj.ID)
	}
	// Each moved on to the following second.
	require.NoError(t, nodes[0].Read(ctx, f.tenantID, func(tx store.Tx) error {
		list, err := tx.CronJobList(ctx, f.tenantID)
		require.NoError(t, err)
		for _, cj := range list {
			require.Equal(t, due.Add(time.Second), cj.NextRunAt.UTC(), "schedule %s", cj.ID)
		}
		return nil
	}))
}

// TestBatchMissedRuns fires schedules that missed several occurrences
// through the batch path with a pinned clock: skip starts only the latest,
// catch_up every one, and both move on past now.
func TestBatchMissedRuns(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store, q store.QueueConfig) {
		ctx := context.Background()
		f := seed(t, st)
		New(nil, nil, Options{}).RegisterWorkers(q.Workers) // no queue runs
		t0 := time.Now().UTC().Truncate(time.Second).Add(time.Minute)
		var mu sync.Mutex
		now := t0
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := New(st, recordingStart(f), Options{Clock: clock, ClaimBatch: 3})
		skip := createSchedules(t, st, s, f, 4, Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsSkip})
		catchUp := createSchedules(t, st, s, f, 4, Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsCatchUp})
		require.Equal(t, t0.Add(time.Second), skip[0].NextRunAt.UTC())

		// Down from t0+1s to t0+5.5s: five occurrences missed.
		mu.Lock()
		now = t0.Add(5500 * time.Millisecond)
		mu.Unlock()
		require.NoError(t, s.fireDue(ctx))

		got := firedBySchedule(t, st, f)
		for _, cj := range skip {
			require.Equal(t, map[int64]int{t0.Add(5 * time.Second).Unix(): 1}, got[cj.ID], "skip fires the latest only")
		}
		for _, cj := range catchUp {
			want := map[int64]int{}
			for i := 1; i <= 5; i++ {
				want[t0.Add(time.Duration(i)*time.Second).Unix()] = 1
			}
			require.Equal(t, want, got[cj.ID], "catch_up fires every missed occurrence")
		}
		require.NoError(t, st.Read(ctx, f.tenantID, func(tx store.Tx) error {
			list, err := tx.CronJobList(ctx, f.tenantID)
			require.NoError(t, err)
			require.Len(t, list, 8)
			for _, cj := range list {
				require.Equal(t, t0.Add(6*time.Second), cj.NextRunAt.UTC())
				require.Equal(t, t0.Add(5*time.Second), cj.LastRunAt.UTC())
			}
			return nil
		}))
		// Nothing is due any more: a second sweep starts nothing.
		require.NoError(t, s.fireDue(ctx))
		require.Equal(t, got, firedBySchedule(t, st, f))
	})
}
