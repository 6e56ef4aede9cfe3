package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// The batch methods the engine's bulk start and group commit use.
func batchCases() []exerciseCase {
	return []exerciseCase{
		{"StepInsertMany/ChunksConflictAndOneTenant", exerciseStepInsertMany},
		{"ExecutionInsertMany/TakenKeySkipsTheRow", exerciseExecutionInsertMany},
		{"ExecutionLockMany/InIDOrderOwnTenantOnly", exerciseExecutionLockMany},
		{"ExecutionStates/StatusAndTokenOwnTenantOnly", exerciseExecutionStates},
		{"ExecutionUpdateMany/MissingExecutionWritesNothing", exerciseExecutionUpdateMany},
		{"StepUpdateMany/MissingStepWritesNothing", exerciseStepUpdateMany},
		{"ExecutionInsert/AdvancedStateReadsBackAsWritten", exerciseExecutionInsertAdvanced},
		{"AfterCommit/RunsInOrderOnlyAfterCommit", exerciseAfterCommit},
		{"ExecutionUpdate/WakeAtKeptOnEveryWritePath", exerciseExecutionWakeAt},
		{"ExecutionClaimWakeups/EarliestFirstUpToLimitOnce", exerciseExecutionClaimWakeups},
		{"ExecutionClaimWakeups/SkipsLockedRows", exerciseExecutionClaimWakeupsSkipsLocked},
	}
}

// exerciseStepInsertMany writes 37 steps (more than any one statement
// holds) and reads them back as written; a batch overlapping existing
// steps is a conflict and writes nothing; a batch naming two tenants is
// refused.
func exerciseStepInsertMany(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	now := ts()
	steps := func(from, n int) []*store.StepInsertParams {
		var ps []*store.StepInsertParams
		for i := from; i < from+n; i++ {
			ps = append(ps, &store.StepInsertParams{TenantID: c.e.TenantID, ID: domain.NewID(), ExecutionID: c.e.ID, Seq: i,
				NodeID: "n", NodeType: "condition", Status: domain.StepCompleted, Attempt: 1,
				Output: json.RawMessage(`{"result":true}`), Handle: "true", StartedAt: now, FinishedAt: &now})
		}
		return ps
	}
	ps := steps(1, 37)
	last := ps[36]
	last.Status, last.Output, last.Handle, last.FinishedAt = domain.StepWaiting, nil, "", nil
	last.Input = json.RawMessage(`{"until":"2030-01-01T00:00:00Z"}`)
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.StepInsertMany(f.ctx, ps)) })

	var got []domain.Step
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		got, err = tx.StepListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
		require.NoError(t, err)
	})
	require.Len(t, got, 37)
	for i, s := range got {
		require.Equal(t, ps[i].ID, s.ID)
		require.Equal(t, i+1, s.Seq)
		require.True(t, s.StartedAt.Equal(now))
	}
	requireJSON(t, `{"result":true}`, got[0].Output)
	require.Nil(t, got[0].Input)
	require.Equal(t, "true", got[0].Handle)
	require.True(t, got[1].FinishedAt.Equal(now))
	require.Equal(t, domain.StepWaiting, got[36].Status)
	require.Nil(t, got[36].FinishedAt)
	require.Nil(t, got[36].Output)
	requireJSON(t, `{"until":"2030-01-01T00:00:00Z"}`, got[36].Input)

	// Overlapping existing steps: a conflict, and nothing of the batch is
	// written.
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error { return tx.StepInsertMany(f.ctx, steps(36, 3)) })
	require.ErrorIs(t, err, store.ErrConflict)
	mixed := steps(40, 2)
	mixed[1].TenantID = f.tenantB.ID
	err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error { return tx.StepInsertMany(f.ctx, mixed) })
	require.Error(t, err)
	// A step filed under another tenant's execution, or under none: not
	// found, and nothing of the batch is written.
	other := f.newChain(t, f.tenantB.ID)
	for _, exec := range []uuid.UUID{other.e.ID, domain.NewID()} {
		stray := steps(50, 3)
		stray[2].ExecutionID = exec
		err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error { return tx.StepInsertMany(f.ctx, stray) })
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
		require.NoError(t, err)
		require.Len(t, got, 37)
	})
}

// exerciseExecutionInsertMany writes 19 executions; a key used earlier in
// the batch, or by an earlier batch, skips its row (nil in the result); a
// batch naming two tenants is refused and writes nothing.
func exerciseExecutionInsertMany(t *testing.T, f *fixture) {
	wf := f.newWorkflow(t, f.tenantA.ID, "Bulk")
	v := f.newVersion(t, wf)
	contact := domain.NewID()
	params := func(n int) []*store.ExecutionInsertParams {
		var ps []*store.ExecutionInsertParams
		for range n {
			ps = append(ps, &store.ExecutionInsertParams{TenantID: v.TenantID, ID: domain.NewID(), WorkflowID: wf.ID, VersionID: v.ID,
				Version: v.Version, Status: domain.ExecutionPending, TriggerType: "trigger.manual",
				Context: json.RawMessage(`{"vars": {}}`), CurrentNodeID: "start"})
		}
		return ps
	}
	ps := params(19)
	ps[0].ContactID = &contact
	ps[3].IdempotencyKey, ps[17].IdempotencyKey = "k", "k" // 17 repeats 3
	var got []*domain.Execution
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		got, err = tx.ExecutionInsertMany(f.ctx, ps)
		require.NoError(t, err)
	})
	require.Len(t, got, 19)
	for i, exec := range got {
		if i == 17 {
			require.Nil(t, exec, "key used earlier in the batch")
			continue
		}
		require.NotNil(t, exec)
		require.Equal(t, ps[i].ID, exec.ID)
		require.Equal(t, ps[i].IdempotencyKey, exec.IdempotencyKey)
		f.read(t, f.tenantA.ID, func(tx store.Tx) {
			stored, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, exec.ID)
			require.NoError(t, err)
			require.Equal(t, domain.ExecutionPending, stored.Status)
			require.Equal(t, "start", stored.CurrentNodeID)
			require.Equal(t, ps[i].ContactID, stored.ContactID)
			require.Equal(t, ps[i].IdempotencyKey, stored.IdempotencyKey)
			requireJSON(t, `{"vars": {}}`, stored.Context)
			require.WithinDuration(t, exec.CreatedAt, stored.CreatedAt, time.Millisecond)
		})
	}

	again := params(1)
	again[0].IdempotencyKey = "k"
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		got, err := tx.ExecutionInsertMany(f.ctx, again)
		require.NoError(t, err)
		require.Equal(t, []*domain.Execution{nil}, got, "key used by an earlier batch")
	})

	mixed := params(2)
	mixed[1].TenantID = f.tenantB.ID
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		_, err := tx.ExecutionInsertMany(f.ctx, mixed)
		return err
	})
	require.Error(t, err)
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, Limit: 100})
		require.NoError(t, err)
		require.Len(t, list, 18)
	})
}

// exerciseExecutionLockMany returns the tenant's executions among ids, in
// ID order, leaving out unknown IDs and other tenants' executions.
func exerciseExecutionLockMany(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	e2, e3 := f.newExecution(t, c.v, nil), f.newExecution(t, c.v, nil)
	other := f.newChain(t, f.tenantB.ID)
	ids := []uuid.UUID{e3.ID, domain.NewID(), c.e.ID, other.e.ID, e2.ID}
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		locked, err := tx.ExecutionLockMany(f.ctx, f.tenantA.ID, ids)
		require.NoError(t, err)
		require.Len(t, locked, 3)
		for i := 1; i < len(locked); i++ {
			require.Negative(t, bytes.Compare(locked[i-1].ID[:], locked[i].ID[:]), "ID order")
		}
		none, err := tx.ExecutionLockMany(f.ctx, f.tenantA.ID, []uuid.UUID{other.e.ID})
		require.NoError(t, err)
		require.Empty(t, none, "another tenant's execution")
	})
}

// exerciseExecutionStates reads the status and token of the tenant's
// executions among ids, in a read transaction, leaving out unknown IDs and
// other tenants' executions.
func exerciseExecutionStates(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	e2 := f.newExecution(t, c.v, nil)
	other := f.newChain(t, f.tenantB.ID)
	now := ts()
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.ExecutionUpdate(f.ctx, &store.ExecutionUpdateParams{TenantID: f.tenantA.ID, ID: e2.ID,
			Status: domain.ExecutionCancelled, Context: json.RawMessage(`{}`), CurrentNodeID: "x", Token: 7,
			StepCount: 1, StartedAt: &now, FinishedAt: &now}))
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		states, err := tx.ExecutionStates(f.ctx, f.tenantA.ID, []uuid.UUID{e2.ID, domain.NewID(), c.e.ID, other.e.ID})
		require.NoError(t, err)
		got := map[uuid.UUID]store.ExecutionState{}
		for _, s := range states {
			got[s.ID] = s
		}
		require.Len(t, got, 2)
		require.Equal(t, store.ExecutionState{ID: e2.ID, Status: domain.ExecutionCancelled, Token: 7}, got[e2.ID])
		require.Equal(t, store.ExecutionState{ID: c.e.ID, Status: c.e.Status, Token: c.e.Token}, got[c.e.ID])
		none, err := tx.ExecutionStates(f.ctx, f.tenantA.ID, []uuid.UUID{other.e.ID})
		require.NoError(t, err)
		require.Empty(t, none, "another tenant's execution")
	})
}

// exerciseExecutionUpdateMany writes each execution's own state; a missing
// execution is ErrNotFound and the batch writes nothing.
func exerciseExecutionUpdateMany(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	e2, e3 := f.newExecution(t, c.v, nil), f.newExecution(t, c.v, nil)
	now := ts()
	ups := []*store.ExecutionUpdateParams{
		{TenantID: f.tenantA.ID, ID: c.e.ID, Status: domain.ExecutionCompleted, Context: json.RawMessage(`{"vars": {"a": 1}}`),
			CurrentNodeID: "done", Token: 3, StepCount: 4, StartedAt: &now, FinishedAt: &now},
		{TenantID: f.tenantA.ID, ID: e2.ID, Status: domain.ExecutionFailed, Context: json.RawMessage(`{"vars": {"b": 2}}`),
			CurrentNodeID: "x", Token: 2, StepCount: 2, Error: "boom", StartedAt: &now},
	}
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionUpdateMany(f.ctx, ups)) })
	missing := []*store.ExecutionUpdateParams{
		{TenantID: f.tenantA.ID, ID: e3.ID, Status: domain.ExecutionRunning, Context: json.RawMessage(`{}`)},
		{TenantID: f.tenantA.ID, ID: domain.NewID(), Status: domain.ExecutionRunning, Context: json.RawMessage(`{}`)},
	}
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error { return tx.ExecutionUpdateMany(f.ctx, missing) })
	require.ErrorIs(t, err, store.ErrNotFound)
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		a, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, c.e.ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionCompleted, a.Status)
		require.Equal(t, "done", a.CurrentNodeID)
		require.EqualValues(t, 3, a.Token)
		require.Equal(t, 4, a.StepCount)
		requireJSON(t, `{"vars": {"a": 1}}`, a.Context)
		require.NotNil(t, a.FinishedAt)
		b, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, e2.ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionFailed, b.Status)
		require.Equal(t, "boom", b.Error)
		require.Nil(t, b.FinishedAt)
		c3, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, e3.ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionPending, c3.Status, "the failed batch wrote nothing")
	})
}

// exerciseExecutionInsertAdvanced inserts executions that already advanced
// in their start transaction (token, step count, error, started and
// finished times), one at a time and in bulk, and reads them back as
// written.
func exerciseExecutionInsertAdvanced(t *testing.T, f *fixture) {
	wf := f.newWorkflow(t, f.tenantA.ID, "Eager")
	v := f.newVersion(t, wf)
	started := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	finished := started.Add(1500 * time.Microsecond)
	advanced := func() *store.ExecutionInsertParams {
		return &store.ExecutionInsertParams{TenantID: v.TenantID, ID: domain.NewID(), WorkflowID: wf.ID, VersionID: v.ID,
			Version: v.Version, Status: domain.ExecutionFailed, TriggerType: "trigger.manual",
			Context: json.RawMessage(`{"vars": {"x": 1}}`), CurrentNodeID: "check", Token: 3, StepCount: 4,
			Error: "ended as failed at node check", StartedAt: &started, FinishedAt: &finished}
	}
	one, many := advanced(), []*store.ExecutionInsertParams{advanced(), advanced(), advanced()}
	many[1].Status, many[1].Error, many[1].FinishedAt = domain.ExecutionWaiting, "", nil
	var got []*domain.Execution
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		exec, err := tx.ExecutionInsert(f.ctx, one)
		require.NoError(t, err)
		got, err = tx.ExecutionInsertMany(f.ctx, many)
		require.NoError(t, err)
		got = append([]*domain.Execution{exec}, got...)
	})
	for i, p := range append([]*store.ExecutionInsertParams{one}, many...) {
		returned := got[i]
		f.read(t, f.tenantA.ID, func(tx store.Tx) {
			stored, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, p.ID)
			require.NoError(t, err)
			for _, exec := range []*domain.Execution{returned, stored} {
				require.Equal(t, p.Status, exec.Status, "execution %d", i)
				require.Equal(t, p.Token, exec.Token)
				require.Equal(t, p.StepCount, exec.StepCount)
				require.Equal(t, p.Error, exec.Error)
				require.Equal(t, "check", exec.CurrentNodeID)
				require.NotNil(t, exec.StartedAt)
				require.WithinDuration(t, started, *exec.StartedAt, time.Microsecond)
				if p.FinishedAt == nil {
					require.Nil(t, exec.FinishedAt)
				} else {
					require.NotNil(t, exec.FinishedAt)
					require.WithinDuration(t, finished, *exec.FinishedAt, time.Microsecond)
				}
			}
		})
	}
}

// exerciseAfterCommit runs the registered functions after the commit, in
// order, when the rows are visible to other transactions; a transaction
// that rolls back runs none.
func exerciseAfterCommit(t *testing.T, f *fixture) {
	id := domain.NewID()
	var order []string
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		_, err := tx.WorkflowInsert(f.ctx, &store.WorkflowInsertParams{TenantID: f.tenantA.ID, ID: id, Name: "After commit",
			Definition: json.RawMessage(`{"nodes": [], "edges": []}`)})
		require.NoError(t, err)
		tx.AfterCommit(func(ctx context.Context) {
			// A new transaction sees the row: the commit has happened.
			err := f.s.Read(ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.WorkflowGetByID(ctx, f.tenantA.ID, id)
				return err
			})
			require.NoError(t, err)
			order = append(order, "first")
		})
		tx.AfterCommit(func(context.Context) { order = append(order, "second") })
		require.Empty(t, order, "nothing runs before the commit")
	})
	require.Equal(t, []string{"first", "second"}, order)

	ran := false
	err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
		tx.AfterCommit(func(context.Context) { ran = true })
		return errors.New("roll back")
	})
	require.Error(t, err)
	require.False(t, ran, "a rolled-back transaction runs nothing")
}

// exerciseStepUpdateMany records the outcome of two steps in one call; a
// batch naming a step that does not exist is ErrNotFound and writes
// nothing; another tenant's step is not found either.
func exerciseStepUpdateMany(t *testing.T, f *fixture) {
	c := f.newChain(t, f.tenantA.ID)
	s1 := f.newStep(t, c.e, 1, "pause", domain.StepWaiting)
	s2 := f.newStep(t, c.e, 2, "call", domain.StepRunning)
	s3 := f.newStep(t, c.e, 3, "later", domain.StepRunning)
	other := f.newChain(t, f.tenantB.ID)
	foreign := f.newStep(t, other.e, 1, "pause", domain.StepWaiting)
	now := ts()
	ups := []*store.StepUpdateParams{
		{TenantID: f.tenantA.ID, ExecutionID: c.e.ID, Seq: s1.Seq, Status: domain.StepCompleted, Attempt: 1, Output: json.RawMessage(`{"resumedAt": "x"}`), FinishedAt: &now},
		{TenantID: f.tenantA.ID, ExecutionID: c.e.ID, Seq: s2.Seq, Status: domain.StepFailed, Attempt: 3, Error: "boom", Handle: "error", FinishedAt: &now},
	}
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.StepUpdateMany(f.ctx, ups)) })
	// A missing sequence number, a missing execution, another tenant's
	// step.
	for _, bad := range []struct {
		exec uuid.UUID
		seq  int
	}{{c.e.ID, 9}, {domain.NewID(), 1}, {other.e.ID, foreign.Seq}} {
		err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			return tx.StepUpdateMany(f.ctx, []*store.StepUpdateParams{
				{TenantID: f.tenantA.ID, ExecutionID: c.e.ID, Seq: s3.Seq, Status: domain.StepCompleted, Attempt: 1, FinishedAt: &now},
				{TenantID: f.tenantA.ID, ExecutionID: bad.exec, Seq: bad.seq, Status: domain.StepCompleted, Attempt: 1, FinishedAt: &now},
			})
		})
		require.ErrorIs(t, err, store.ErrNotFound)
	}
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		steps, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, c.e.ID)
		require.NoError(t, err)
		require.Len(t, steps, 3)
		require.Equal(t, domain.StepCompleted, steps[0].Status)
		requireJSON(t, `{"resumedAt": "x"}`, steps[0].Output)
		require.NotNil(t, steps[0].FinishedAt)
		require.Equal(t, domain.StepFailed, steps[1].Status)
		require.Equal(t, 3, steps[1].Attempt)
		require.Equal(t, "boom", steps[1].Error)
		require.Equal(t, "error", steps[1].Handle)
		require.Equal(t, domain.StepRunning, steps[2].Status, "the failed batches wrote nothing")
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		st, err := tx.StepGet(f.ctx, f.tenantB.ID, other.e.ID, foreign.Seq)
		require.NoError(t, err)
		require.Equal(t, domain.StepWaiting, st.Status)
	})
}

// requireWakeAt asserts an execution's timer: none when want is nil, else
// the same instant.
func requireWakeAt(t *testing.T, want *time.Time, exec *domain.Execution, msgAndArgs ...any) {
	t.Helper()
	if want == nil {
		require.Nil(t, exec.WakeAt, msgAndArgs...)
		return
	}
	require.NotNil(t, exec.WakeAt, msgAndArgs...)
	require.True(t, want.Equal(*exec.WakeAt), "want %s, got %s", want, exec.WakeAt)
	require.Equal(t, time.UTC, exec.WakeAt.Location())
}

// exerciseExecutionWakeAt keeps an execution's timer through
// ExecutionInsert, ExecutionInsertMany, ExecutionUpdate and
// ExecutionUpdateMany, in what they return and what is read back (by ID
// and in a list); an update without WakeAt clears it.
func exerciseExecutionWakeAt(t *testing.T, f *fixture) {
	wf := f.newWorkflow(t, f.tenantA.ID, "Timers")
	v := f.newVersion(t, wf)
	wake := ts().Add(time.Hour)
	later := wake.Add(time.Hour)
	stored := func(id uuid.UUID) *domain.Execution {
		t.Helper()
		var exec *domain.Execution
		f.read(t, f.tenantA.ID, func(tx store.Tx) {
			var err error
			exec, err = tx.ExecutionGetByID(f.ctx, f.tenantA.ID, id)
			require.NoError(t, err)
		})
		return exec
	}

	one := f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
		p.Status, p.WakeAt = domain.ExecutionWaiting, &wake
	})
	requireWakeAt(t, &wake, one, "returned by ExecutionInsert")
	requireWakeAt(t, &wake, stored(one.ID), "stored by ExecutionInsert")
	plain := f.newExecution(t, v, nil)
	requireWakeAt(t, nil, plain)
	requireWakeAt(t, nil, stored(plain.ID))

	many := []*store.ExecutionInsertParams{
		{TenantID: v.TenantID, ID: domain.NewID(), WorkflowID: wf.ID, VersionID: v.ID, Version: v.Version,
			Status: domain.ExecutionWaiting, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`),
			CurrentNodeID: "pause", WakeAt: &later},
		{TenantID: v.TenantID, ID: domain.NewID(), WorkflowID: wf.ID, VersionID: v.ID, Version: v.Version,
			Status: domain.ExecutionRunning, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`),
			CurrentNodeID: "start"},
	}
	var got []*domain.Execution
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		var err error
		got, err = tx.ExecutionInsertMany(f.ctx, many)
		require.NoError(t, err)
	})
	require.Len(t, got, 2)
	requireWakeAt(t, &later, got[0], "returned by ExecutionInsertMany")
	requireWakeAt(t, &later, stored(many[0].ID), "stored by ExecutionInsertMany")
	requireWakeAt(t, nil, got[1])
	requireWakeAt(t, nil, stored(many[1].ID))

	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		list, err := tx.ExecutionList(f.ctx, &store.ExecutionListParams{TenantID: f.tenantA.ID, WorkflowID: &wf.ID})
		require.NoError(t, err)
		require.Len(t, list, 4)
		for _, exec := range list {
			switch exec.ID {
			case one.ID:
				requireWakeAt(t, &wake, &exec, "listed")
			case many[0].ID:
				requireWakeAt(t, &later, &exec, "listed")
			default:
				requireWakeAt(t, nil, &exec, "listed")
			}
		}
	})

	// ExecutionUpdate sets a timer, moves it, and drops it when the update
	// does not name one.
	update := func(id uuid.UUID, wakeAt *time.Time) *store.ExecutionUpdateParams {
		return &store.ExecutionUpdateParams{TenantID: f.tenantA.ID, ID: id, Status: domain.ExecutionWaiting,
			Context: json.RawMessage(`{}`), CurrentNodeID: "pause", Token: 1, StepCount: 1, WakeAt: wakeAt}
	}
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionUpdate(f.ctx, update(plain.ID, &wake))) })
	requireWakeAt(t, &wake, stored(plain.ID), "set by ExecutionUpdate")
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionUpdate(f.ctx, update(plain.ID, &later))) })
	requireWakeAt(t, &later, stored(plain.ID), "moved by ExecutionUpdate")
	f.in(t, f.tenantA.ID, func(tx store.Tx) { require.NoError(t, tx.ExecutionUpdate(f.ctx, update(plain.ID, nil))) })
	requireWakeAt(t, nil, stored(plain.ID), "cleared by ExecutionUpdate")

	// ExecutionUpdateMany likewise, row by row.
	f.in(t, f.tenantA.ID, func(tx store.Tx) {
		require.NoError(t, tx.ExecutionUpdateMany(f.ctx, []*store.ExecutionUpdateParams{
			update(one.ID, nil), update(many[0].ID, &wake), update(many[1].ID, &later),
		}))
	})
	requireWakeAt(t, nil, stored(one.ID), "cleared by ExecutionUpdateMany")
	requireWakeAt(t, &wake, stored(many[0].ID), "moved by ExecutionUpdateMany")
	requireWakeAt(t, &later, stored(many[1].ID), "set by ExecutionUpdateMany")
}

// newTimer starts a WAITING execution of v whose timer is due at wake and
// whose token is token.
func (f *fixture) newTimer(t *testing.T, v *domain.WorkflowVersion, wake time.Time, token int64) *domain.Execution {
	t.Helper()
	return f.newExecution(t, v, func(p *store.ExecutionInsertParams) {
		p.Status, p.CurrentNodeID, p.Token, p.WakeAt = domain.ExecutionWaiting, "pause", token, &wake
	})
}

// wakeupIDs lists the executions of claimed wakeups, in order.
func wakeupIDs(ws []store.Wakeup) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ws))
	for _, w := range ws {
		out = append(out, w.ExecutionID)
	}
	return out
}

// exerciseExecutionClaimWakeups claims, in a system transaction, the due
// timers of both tenants, earliest first (one due exactly at before
// included), with their tokens, up to the limit; a future timer and an
// execution without one are left alone; a claimed timer is cleared from
// its row and never claimed again.
func exerciseExecutionClaimWakeups(t *testing.T, f *fixture) {
	cA, cB := f.newChain(t, f.tenantA.ID), f.newChain(t, f.tenantB.ID)
	now := ts()
	a1 := f.newTimer(t, cA.v, now.Add(-3*time.Second), 5)
	b1 := f.newTimer(t, cB.v, now.Add(-2*time.Second), 7)
	a2 := f.newTimer(t, cA.v, now.Add(-time.Second), 9)
	a3 := f.newTimer(t, cA.v, now, 11)
	future := f.newTimer(t, cB.v, now.Add(time.Hour), 13)

	var first, second []store.Wakeup
	f.system(t, func(tx store.Tx) {
		var err error
		first, err = tx.ExecutionClaimWakeups(f.ctx, now, now, 2)
		require.NoError(t, err)
		second, err = tx.ExecutionClaimWakeups(f.ctx, now, now, 10)
		require.NoError(t, err)
	})
	require.Equal(t, []store.Wakeup{
		{TenantID: f.tenantA.ID, ExecutionID: a1.ID, Token: 5, At: *a1.WakeAt},
		{TenantID: f.tenantB.ID, ExecutionID: b1.ID, Token: 7, At: *b1.WakeAt},
	}, first, "the limit takes the earliest, across tenants")
	require.Equal(t, []store.Wakeup{
		{TenantID: f.tenantA.ID, ExecutionID: a2.ID, Token: 9, At: *a2.WakeAt},
		{TenantID: f.tenantA.ID, ExecutionID: a3.ID, Token: 11, At: *a3.WakeAt},
	}, second, "the rest, one due exactly at before included")
	for _, w := range append(first, second...) {
		require.Equal(t, time.UTC, w.At.Location())
	}

	f.system(t, func(tx store.Tx) {
		got, err := tx.ExecutionClaimWakeups(f.ctx, now, now, 10)
		require.NoError(t, err)
		require.Empty(t, got, "claimed timers are gone; the future one is not due")
	})
	f.read(t, f.tenantA.ID, func(tx store.Tx) {
		for _, e := range []*domain.Execution{a1, a2, a3, cA.e} {
			exec, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, e.ID)
			require.NoError(t, err)
			require.Nil(t, exec.WakeAt)
			require.Equal(t, e.Token, exec.Token, "the claim changes only the timer")
			require.Equal(t, e.Status, exec.Status)
		}
	})
	f.read(t, f.tenantB.ID, func(tx store.Tx) {
		exec, err := tx.ExecutionGetByID(f.ctx, f.tenantB.ID, b1.ID)
		require.NoError(t, err)
		require.Nil(t, exec.WakeAt)
		exec, err = tx.ExecutionGetByID(f.ctx, f.tenantB.ID, future.ID)
		require.NoError(t, err)
		requireWakeAt(t, future.WakeAt, exec, "a future timer stays")
	})

	// Once its time comes, the future timer is claimed too.
	f.system(t, func(tx store.Tx) {
		got, err := tx.ExecutionClaimWakeups(f.ctx, now.Add(2*time.Hour), now.Add(2*time.Hour), 10)
		require.NoError(t, err)
		require.Equal(t, []store.Wakeup{{TenantID: f.tenantB.ID, ExecutionID: future.ID, Token: 13, At: *future.WakeAt}}, got)
	})
}

// exerciseExecutionClaimWakeupsSkipsLocked (PostgreSQL): a claimer skips
// an execution another transaction holds instead of waiting for it, and
// claims it once that transaction has ended.
func exerciseExecutionClaimWakeupsSkipsLocked(t *testing.T, f *fixture) {
	if f.s.Dialect() != store.DialectPostgres {
		t.Skip("SQLite has one writer: a claim never meets a locked row")
	}
	c := f.newChain(t, f.tenantA.ID)
	now := ts()
	held := f.newTimer(t, c.v, now.Add(-2*time.Second), 3)
	free := f.newTimer(t, c.v, now.Add(-time.Second), 4)

	holding, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
			_, err := tx.ExecutionLock(f.ctx, f.tenantA.ID, held.ID)
			close(holding)
			<-release
			return err
		})
	}()
	<-holding
	f.system(t, func(tx store.Tx) {
		got, err := tx.ExecutionClaimWakeups(f.ctx, now, now, 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{free.ID}, wakeupIDs(got), "the held row is skipped")
	})
	close(release)
	require.NoError(t, <-done)
	f.system(t, func(tx store.Tx) {
		got, err := tx.ExecutionClaimWakeups(f.ctx, now, now, 10)
		require.NoError(t, err)
		require.Equal(t, []uuid.UUID{held.ID}, wakeupIDs(got), "claimed once the holder has ended")
	})
}
