package cron

import (
	"context"
	"encoding/json"
	"fmt"
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

type fixture struct {
	tenantID, workflowID, versionID uuid.UUID
}

// seed creates a tenant and a workflow with a published version.
func seed(t *testing.T, st store.Store) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{tenantID: domain.NewID(), workflowID: domain.NewID(), versionID: domain.NewID()}
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: f.tenantID, Name: "Acme", Slug: "acme-" + f.tenantID.String()[:8], Plan: domain.PlanFree})
		return err
	}))
	require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes":[{"id":"s","type":"trigger.schedule","config":{"cron":"* * * * * *"},"position":{"x":0,"y":0}}],"edges":[]}`)
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: f.tenantID, ID: f.workflowID, Name: "tick", Definition: def}); err != nil {
			return err
		}
		_, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: f.tenantID, ID: f.versionID, WorkflowID: f.workflowID, Version: 1, Definition: def})
		return err
	}))
	return f
}

// recordingStart inserts one execution per call (no idempotency key, so a
// duplicate firing would show as a second row).
func recordingStart(f fixture) StartFunc {
	return func(ctx context.Context, tx store.Tx, o Occurrence) error {
		c, _ := json.Marshal(map[string]any{"trigger": map[string]any{"type": "trigger.schedule", "scheduledAt": o.ScheduledAt, "cronJobId": o.CronJobID}})
		_, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{
			TenantID: o.TenantID, ID: domain.NewID(), WorkflowID: o.WorkflowID, VersionID: f.versionID, Version: 1,
			Status: domain.ExecutionCompleted, TriggerType: "trigger.schedule", Context: c, CurrentNodeID: o.NodeID,
		})
		return err
	}
}

// occurrences returns how many executions each scheduled time got.
func occurrences(t *testing.T, st store.Store, f fixture) map[int64]int {
	t.Helper()
	ctx := context.Background()
	var execs []domain.Execution
	require.NoError(t, st.Read(ctx, f.tenantID, func(tx store.Tx) error {
		var err error
		execs, err = tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: f.tenantID, Limit: 10000})
		return err
	}))
	out := map[int64]int{}
	for _, e := range execs {
		var c struct {
			Trigger struct {
				ScheduledAt time.Time `json:"scheduledAt"`
			} `json:"trigger"`
		}
		require.NoError(t, json.Unmarshal(e.Context, &c))
		out[c.Trigger.ScheduledAt.Unix()]++
	}
	return out
}

func newQueue() store.QueueConfig {
	return store.QueueConfig{Workers: river.NewWorkers(), FetchPollInterval: 20 * time.Millisecond}
}

// eachStore runs fn on a fresh SQLite and a fresh PostgreSQL store, each
// with a worker bundle of its own.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store, q store.QueueConfig)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		q := newQueue()
		fn(t, storetest.SQLite(t, storetest.WithQueue(q)), q)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		q := newQueue()
		fn(t, storetest.Postgres(t, storetest.WithQueue(q)), q)
	})
}

func TestEverySecondFiresEachOccurrenceOnce(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store, q store.QueueConfig) {
		ctx := context.Background()
		f := seed(t, st)
		s := New(st, recordingStart(f), Options{})
		s.RegisterWorkers(q.Workers)
		require.NoError(t, st.Queue().Start(ctx))
		t.Cleanup(func() { _ = st.Queue().Stop(context.Background()) })

		var cj *domain.CronJob
		require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
			var err error
			cj, err = s.UpsertTx(ctx, tx, f.tenantID, f.workflowID, "s", Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsCatchUp}, true)
			return err
		}))
		first := *cj.NextRunAt
		// Let it fire at least three times (waiting on occurrences, not on a
		// fixed sleep: a loaded CI machine may be slow), then pause it.
		deadline := time.Now().Add(30 * time.Second)
		for len(occurrences(t, st, f)) < 3 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
			_, err := s.PauseTx(ctx, tx, f.tenantID, cj.ID)
			return err
		}))
		time.Sleep(300 * time.Millisecond)

		got := occurrences(t, st, f)
		require.GreaterOrEqual(t, len(got), 3, "fired %v", got)
		for at, n := range got {
			require.Equal(t, 1, n, "occurrence %s fired %d times", time.Unix(at, 0).UTC(), n)
			require.False(t, time.Unix(at, 0).Before(first), "fired before the first due time")
		}
		// No gaps: every second from the first occurrence to the last.
		var min, max int64 = 1 << 62, 0
		for at := range got {
			min, max = minInt(min, at), maxInt(max, at)
		}
		require.Equal(t, int(max-min+1), len(got), "gaps in %v", got)
	})
}

func minInt(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// TestThreeNodesExactlyOnce runs three stores (three River clients, as
// three processes would) on one PostgreSQL schema.
func TestThreeNodesExactlyOnce(t *testing.T) {
	t.Parallel()
	schema := storetest.PostgresSchema(t)
	ctx := context.Background()
	var nodes []store.Store
	var sched []*Scheduler
	var f fixture
	for i := 0; i < 3; i++ {
		q := newQueue()
		st, err := postgres.Open(ctx, storetest.PostgresURL(), postgres.Options{Queue: q, Schema: schema, SystemTokens: storetest.SystemTokens})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		if i == 0 {
			require.NoError(t, st.Migrate(ctx))
			f = seed(t, st)
		}
		s := New(st, recordingStart(f), Options{})
		s.RegisterWorkers(q.Workers)
		nodes = append(nodes, st)
		sched = append(sched, s)
	}
	for _, st := range nodes {
		require.NoError(t, st.Queue().Start(ctx))
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, st := range nodes {
			wg.Add(1)
			go func() { defer wg.Done(); _ = st.Queue().Stop(context.Background()) }()
		}
		wg.Wait()
	})
	var cj *domain.CronJob
	require.NoError(t, nodes[1].InTx(ctx, f.tenantID, func(tx store.Tx) error {
		var err error
		cj, err = sched[1].UpsertTx(ctx, tx, f.tenantID, f.workflowID, "s", Config{Cron: "* * * * * *", MissedRuns: domain.MissedRunsCatchUp}, true)
		return err
	}))
	// A few seconds of three nodes racing, and at least three occurrences
	// (a loaded CI machine may be slow).
	time.Sleep(4500 * time.Millisecond)
	for deadline := time.Now().Add(30 * time.Second); len(occurrences(t, nodes[0], f)) < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, nodes[2].InTx(ctx, f.tenantID, func(tx store.Tx) error {
		_, err := sched[2].PauseTx(ctx, tx, f.tenantID, cj.ID)
		return err
	}))
	time.Sleep(300 * time.Millisecond)
	got := occurrences(t, nodes[0], f)
	require.GreaterOrEqual(t, len(got), 2, "fired %v", got)
	var lo, hi int64 = 1 << 62, 0
	for at, n := range got {
		require.Equal(t, 1, n, "occurrence %s fired %d times across three nodes", time.Unix(at, 0).UTC(), n)
		lo, hi = minInt(lo, at), maxInt(hi, at)
	}
	require.Equal(t, int(hi-lo+1), len(got), "catch_up leaves no gaps: %v", got)
}

// TestMissedRunsAfterDowntime creates a schedule while no worker runs,
// lets two or more due times pass (the process is "down"), then starts
// the queue: skip fires once, catch_up fires each missed occurrence.
func TestMissedRunsAfterDowntime(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{domain.MissedRunsSkip, domain.MissedRunsCatchUp} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			eachStore(t, func(t *testing.T, st store.Store, q store.QueueConfig) {
				ctx := context.Background()
				f := seed(t, st)
				s := New(st, recordingStart(f), Options{})
				s.RegisterWorkers(q.Workers)
				var cj *domain.CronJob
				require.NoError(t, st.InTx(ctx, f.tenantID, func(tx store.Tx) error {
					var err error
					cj, err = s.UpsertTx(ctx, tx, f.tenantID, f.workflowID, "s", Config{Cron: "* * * * * *", MissedRuns: policy}, true)
					return err
				}))
				first := *cj.NextRunAt
				// Down across at least three due times.
				time.Sleep(time.Until(first.Add(2500 * time.Millisecond)))
				downUntil := time.Now().UTC().Truncate(time.Second)
				require.True(t, downUntil.Sub(first) >= 2*time.Second, "down across at least three due times")

				require.NoError(t, st.Queue().Start(ctx))
				t.Cleanup(func() { _ = st.Queue().Stop(context.Background()) })
				require.Eventually(t, func() bool { return len(occurrences(t, st, f)) > 0 }, 10*time.Second, 20*time.Millisecond)
				got := occurrences(t, st, f)
				if policy == domain.MissedRunsSkip {
					// None of the runs missed while down fired, except the
					// most recent one (at or after downUntil).
					for at := range got {
						require.False(t, time.Unix(at, 0).Before(downUntil), "skip fired the missed run %s: %v", time.Unix(at, 0).UTC(), got)
					}
				} else {
					// Every missed run fired, in the same transaction.
					for at := first; !at.After(downUntil); at = at.Add(time.Second) {
						require.Equal(t, 1, got[at.Unix()], "catch_up did not fire %s: %v", at, got)
					}
				}
				for at, n := range got {
					require.Equal(t, 1, n, "occurrence %d fired %d times", at, n)
				}
			})
		})
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg   Config
		field string
	}{
		{Config{Cron: "61 * * * *"}, "cron"},
		{Config{Cron: "not cron"}, "cron"},
		{Config{Cron: "@daily", Timezone: "Mars/Olympus"}, "timezone"},
		{Config{Cron: "@daily", MissedRuns: "sometimes"}, "missedRuns"},
	}
	for _, tc := range cases {
		_, err := tc.cfg.Normalize()
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, fmt.Sprint(tc.cfg))
		require.Equal(t, tc.field, ve.Field)
	}
	c := Config{Cron: "@every 15m"}
	_, err := c.Normalize()
	require.NoError(t, err)
	require.Equal(t, "UTC", c.Timezone)
	require.Equal(t, domain.MissedRunsSkip, c.MissedRuns)
}
