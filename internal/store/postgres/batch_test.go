package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// executionBatcher is the engine's optional bulk interface
// (engine.ExecutionBatchInserter, ExecutionBatchLocker,
// ExecutionBatchUpdater).
type executionBatcher interface {
	ExecutionInsertMany(ctx context.Context, ps []*store.ExecutionInsertParams) ([]*domain.Execution, error)
	ExecutionLockMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]*domain.Execution, error)
	ExecutionUpdateMany(ctx context.Context, ps []*store.ExecutionUpdateParams) error
}

func TestExecutionBatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Postgres(t)
	tenant, other := domain.NewID(), domain.NewID()
	wf, ver := domain.NewID(), domain.NewID()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		for _, id := range []uuid.UUID{tenant, other} {
			if _, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: id, Name: "T", Slug: "t-" + id.String()[24:], Plan: domain.PlanFree}); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes":[],"edges":[]}`)
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wf, Name: "w", Definition: def}); err != nil {
			return err
		}
		_, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, ID: ver, WorkflowID: wf, Version: 1, Definition: def})
		return err
	}))
	contact := domain.NewID()
	params := func(n int) []*store.ExecutionInsertParams {
		var ps []*store.ExecutionInsertParams
		for i := range n {
			p := &store.ExecutionInsertParams{TenantID: tenant, ID: domain.NewID(), WorkflowID: wf, VersionID: ver, Version: 1,
				Status: domain.ExecutionPending, TriggerType: "trigger.manual", Context: json.RawMessage(`{"vars": {}}`), CurrentNodeID: "start"}
			if i == 0 {
				p.ContactID = &contact
			}
			ps = append(ps, p)
		}
		return ps
	}

	// Insert three in one statement; they read back as written.
	ps := params(3)
	var inserted []*domain.Execution
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		var err error
		inserted, err = tx.(executionBatcher).ExecutionInsertMany(ctx, ps)
		return err
	}))
	require.Len(t, inserted, 3)
	for i, exec := range inserted {
		require.Equal(t, ps[i].ID, exec.ID)
		var got *domain.Execution
		require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
			var err error
			got, err = tx.ExecutionGetByID(ctx, tenant, exec.ID)
			return err
		}))
		require.Equal(t, domain.ExecutionPending, got.Status)
		require.Equal(t, "start", got.CurrentNodeID)
		require.JSONEq(t, `{"vars": {}}`, string(got.Context))
		require.Equal(t, ps[i].ContactID, got.ContactID)
		require.WithinDuration(t, exec.CreatedAt, got.CreatedAt, time.Millisecond)
	}

	// A batch naming another tenant is refused and writes nothing.
	bad := params(2)
	bad[1].TenantID = other
	require.Error(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		_, err := tx.(executionBatcher).ExecutionInsertMany(ctx, bad)
		return err
	}))
	var count int
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		list, err := tx.ExecutionList(ctx, &store.ExecutionListParams{TenantID: tenant, Limit: 100})
		count = len(list)
		return err
	}))
	require.Equal(t, 3, count)

	// Idempotency keys: a key used before, or earlier in the same batch,
	// skips its row (nil in the result); the others are written.
	keyed := params(3)
	keyed[0].IdempotencyKey, keyed[1].IdempotencyKey, keyed[2].IdempotencyKey = "k1", "k1", ""
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		got, err := tx.(executionBatcher).ExecutionInsertMany(ctx, keyed)
		require.NotNil(t, got[0])
		require.Equal(t, "k1", got[0].IdempotencyKey)
		require.Nil(t, got[1], "same key earlier in the batch")
		require.NotNil(t, got[2], "no key, no conflict")
		return err
	}))
	again := params(1)
	again[0].IdempotencyKey = "k1"
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		got, err := tx.(executionBatcher).ExecutionInsertMany(ctx, again)
		require.Equal(t, []*domain.Execution{nil}, got, "key used by an earlier batch")
		return err
	}))

	// Lock many: in ID order, unknown IDs and other tenants' rows left out.
	ids := []uuid.UUID{inserted[2].ID, domain.NewID(), inserted[0].ID, inserted[1].ID}
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		locked, err := tx.(executionBatcher).ExecutionLockMany(ctx, tenant, ids)
		if err != nil {
			return err
		}
		require.Len(t, locked, 3)
		for i := 1; i < len(locked); i++ {
			require.Negative(t, compareUUID(locked[i-1].ID, locked[i].ID))
		}
		none, err := tx.(executionBatcher).ExecutionLockMany(ctx, other, ids)
		require.Empty(t, none)
		return err
	}))

	// Update many writes each row's own state; a missing row is NotFound
	// and rolls the batch back.
	now := time.Now().UTC().Truncate(time.Microsecond)
	ups := []*store.ExecutionUpdateParams{
		{TenantID: tenant, ID: inserted[0].ID, Status: domain.ExecutionCompleted, Context: json.RawMessage(`{"vars": {"a": 1}}`), CurrentNodeID: "done", Token: 3, StepCount: 4, StartedAt: &now, FinishedAt: &now},
		{TenantID: tenant, ID: inserted[1].ID, Status: domain.ExecutionFailed, Context: json.RawMessage(`{"vars": {"b": 2}}`), CurrentNodeID: "x", Token: 2, StepCount: 2, Error: "boom", StartedAt: &now},
	}
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error { return tx.(executionBatcher).ExecutionUpdateMany(ctx, ups) }))
	missing := []*store.ExecutionUpdateParams{
		{TenantID: tenant, ID: inserted[2].ID, Status: domain.ExecutionRunning, Context: json.RawMessage(`{}`)},
		{TenantID: tenant, ID: domain.NewID(), Status: domain.ExecutionRunning, Context: json.RawMessage(`{}`)},
	}
	err := st.InTx(ctx, tenant, func(tx store.Tx) error { return tx.(executionBatcher).ExecutionUpdateMany(ctx, missing) })
	require.True(t, errors.Is(err, store.ErrNotFound), "got %v", err)
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		a, err := tx.ExecutionGetByID(ctx, tenant, inserted[0].ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionCompleted, a.Status)
		require.Equal(t, "done", a.CurrentNodeID)
		require.EqualValues(t, 3, a.Token)
		require.Equal(t, 4, a.StepCount)
		require.JSONEq(t, `{"vars": {"a": 1}}`, string(a.Context))
		require.NotNil(t, a.FinishedAt)
		b, err := tx.ExecutionGetByID(ctx, tenant, inserted[1].ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionFailed, b.Status)
		require.Equal(t, "boom", b.Error)
		require.Nil(t, b.FinishedAt)
		c, err := tx.ExecutionGetByID(ctx, tenant, inserted[2].ID)
		require.NoError(t, err)
		require.Equal(t, domain.ExecutionPending, c.Status, "the failed batch wrote nothing")
		return nil
	}))
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
