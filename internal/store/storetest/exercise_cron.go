package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func cronCases() []exerciseCase {
	return []exerciseCase{
		{"CronJobClaimDue/DueActiveSchedulesOfAllTenants", exerciseCronJobClaimDue},
		{"CronJobGetByIDSkipLocked/HeldRowIsSkipped", exerciseCronJobGetByIDSkipLocked},
		{"CronJobAdvanceMany/WritesEachSchedulesNextRun", exerciseCronJobAdvanceMany},
	}
}

// newSchedule files an active (or not) schedule under wf due at next.
func (f *fixture) newSchedule(t *testing.T, wf *domain.Workflow, node string, active bool, next *time.Time) *domain.CronJob {
	t.Helper()
	var cj *domain.CronJob
	f.in(t, wf.TenantID, func(tx store.Tx) {
		var err error
		cj, err = tx.CronJobUpsert(f.ctx, &store.CronJobUpsertParams{
			TenantID: wf.TenantID, WorkflowID: wf.ID, NodeID: node, Schedule: "* * * * * *",
			Timezone: "UTC", MissedRuns: domain.MissedRunsSkip, IsActive: active, NextRunAt: next,
		})
		require.NoError(t, err)
	})
	return cj
}

func cronIDs(cjs []domain.CronJob) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(cjs))
	for _, cj := range cjs {
		out = append(out, cj.ID)
	}
	return out
}

func exerciseCronJobClaimDue(t *testing.T, f *fixture) {
	wfA := f.newWorkflow(t, f.tenantA.ID, "A")
	wfB := f.newWorkflow(t, f.tenantB.ID, "B")
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	dueA1 := f.newSchedule(t, wfA, "a1", true, at(-2*time.Second))
	dueB := f.newSchedule(t, wfB, "b", true, at(-time.Second))
	dueA2 := f.newSchedule(t, wfA, "a2", true, at(0)) // due exactly now
	f.newSchedule(t, wfA, "later", true, at(time.Second))
	f.newSchedule(t, wfB, "paused", false, at(-5*time.Second))
	f.newSchedule(t, wfB, "unscheduled", true, nil)

	// Every tenant's due schedules, earliest first, bounded by limit.
	f.system(t, func(tx store.Tx) {
		got, err := tx.CronJobClaimDue(f.ctx, now, 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{dueA1.ID, dueB.ID, dueA2.ID}, cronIDs(got))
		require.Equal(t, dueB.TenantID, got[1].TenantID)
		require.Equal(t, dueB.NextRunAt, got[1].NextRunAt)

		got, err = tx.CronJobClaimDue(f.ctx, now, 2)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{dueA1.ID, dueB.ID}, cronIDs(got))

		got, err = tx.CronJobClaimDue(f.ctx, now.Add(-3*time.Second), 10)
		require.NoError(t, err)
		require.Empty(t, got)
	})
	if f.s.Dialect() != store.DialectPostgres {
		return
	}
	// Concurrent claimers split the due schedules: a row one transaction
	// holds is skipped by the other, until it commits.
	holding, release, done := make(chan []domain.CronJob), make(chan struct{}), make(chan error)
	go func() {
		done <- f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
			got, err := tx.CronJobClaimDue(f.ctx, now, 1)
			if err != nil {
				close(holding)
				return err
			}
			holding <- got
			<-release
			return nil
		})
	}()
	first := <-holding
	require.Equal(t, []uuid.UUID{dueA1.ID}, cronIDs(first))
	f.system(t, func(tx store.Tx) {
		got, err := tx.CronJobClaimDue(f.ctx, now, 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{dueB.ID, dueA2.ID}, cronIDs(got))
	})
	close(release)
	require.NoError(t, <-done)
}

func exerciseCronJobGetByIDSkipLocked(t *testing.T, f *fixture) {
	wfA := f.newWorkflow(t, f.tenantA.ID, "A")
	next := time.Now().UTC().Truncate(time.Second)
	cj := f.newSchedule(t, wfA, "a", true, &next)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantA.ID, cj.ID)
		require.NoError(t, err)
		require.Equal(t, cj, got)
		_, err = tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantA.ID, domain.NewID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	f.in(t, f.tenantB.ID, func(tx store.Tx) {
		_, err := tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantB.ID, cj.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "another tenant's schedule")
	})
	if f.s.Dialect() != store.DialectPostgres {
		return
	}
	// A row another transaction holds is not waited for.
	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			_, err := tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantA.ID, cj.ID)
			close(holding)
			<-release
			return err
		})
	}()
	<-holding
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantA.ID, cj.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	close(release)
	require.NoError(t, <-done)
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.CronJobGetByIDSkipLocked(f.ctx, f.tenantA.ID, cj.ID)
		require.NoError(t, err, "free again once the holder commits")
	})
}

func exerciseCronJobAdvanceMany(t *testing.T, f *fixture) {
	wfA := f.newWorkflow(t, f.tenantA.ID, "A")
	wfB := f.newWorkflow(t, f.tenantB.ID, "B")
	now := time.Now().UTC().Truncate(time.Second)
	a := f.newSchedule(t, wfA, "a", true, &now)
	b := f.newSchedule(t, wfB, "b", true, &now)
	untouched := f.newSchedule(t, wfA, "c", true, &now)
	next := now.Add(time.Minute)

	// Schedules of two tenants in one system transaction.
	f.system(t, func(tx store.Tx) {
		require.NoError(t, tx.CronJobAdvanceMany(f.ctx, []store.CronJobAdvanceParams{
			{TenantID: a.TenantID, ID: a.ID, LastRunAt: now, NextRunAt: next},
			{TenantID: b.TenantID, ID: b.ID, LastRunAt: now, NextRunAt: next.Add(time.Second)},
		}))
	})
	get := func(tenantID, id uuid.UUID) *domain.CronJob {
		var cj *domain.CronJob
		f.in(t, tenantID, func(tx store.Tx) {
			var err error
			cj, err = tx.CronJobGetByID(f.ctx, tenantID, id)
			require.NoError(t, err)
		})
		return cj
	}
	gotA, gotB := get(a.TenantID, a.ID), get(b.TenantID, b.ID)
	require.True(t, gotA.IsActive)
	require.Equal(t, now, gotA.LastRunAt.UTC())
	require.Equal(t, next, gotA.NextRunAt.UTC())
	require.Equal(t, next.Add(time.Second), gotB.NextRunAt.UTC())
	require.Equal(t, now, get(untouched.TenantID, untouched.ID).NextRunAt.UTC(), "not in the batch")

	// A schedule named with the wrong tenant is not found, and the batch
	// (in the caller's transaction) writes nothing.
	err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
		return tx.CronJobAdvanceMany(f.ctx, []store.CronJobAdvanceParams{
			{TenantID: untouched.TenantID, ID: untouched.ID, LastRunAt: now, NextRunAt: next},
			{TenantID: f.tenantB.ID, ID: a.ID, LastRunAt: now, NextRunAt: next},
		})
	})
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, now, get(untouched.TenantID, untouched.ID).NextRunAt.UTC())
}
