package sqlite_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

type stepBatcher interface {
	StepInsertMany(ctx context.Context, ps []*store.StepInsertParams) error
}

// TestStepInsertMany writes 37 steps (chunks of 16, 16, 4 and 1 rows) and
// reads them back as written; writing one again is a conflict.
func TestStepInsertMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	tenant, wf, ver, exec := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "A", Slug: "a", Plan: domain.PlanFree})
		return err
	}))
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes":[],"edges":[]}`)
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wf, Name: "w", Definition: def}); err != nil {
			return err
		}
		if _, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, ID: ver, WorkflowID: wf, Version: 1, Definition: def}); err != nil {
			return err
		}
		_, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{TenantID: tenant, ID: exec, WorkflowID: wf, VersionID: ver, Version: 1,
			Status: domain.ExecutionRunning, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`), CurrentNodeID: "a"})
		return err
	}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ps []*store.StepInsertParams
	for i := 1; i <= 37; i++ {
		p := &store.StepInsertParams{TenantID: tenant, ID: domain.NewID(), ExecutionID: exec, Seq: i, NodeID: "n", NodeType: "condition",
			Status: domain.StepCompleted, Attempt: 1, Output: json.RawMessage(`{"result":true}`), Handle: "true", StartedAt: now, FinishedAt: &now}
		if i == 37 {
			p.Status, p.Output, p.Handle, p.FinishedAt = domain.StepWaiting, nil, "", nil
			p.Input = json.RawMessage(`{"until":"2030-01-01T00:00:00Z"}`)
		}
		ps = append(ps, p)
	}
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error { return tx.(stepBatcher).StepInsertMany(ctx, ps) }))
	var got []domain.Step
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		var err error
		got, err = tx.StepListByExecution(ctx, tenant, exec)
		return err
	}))
	require.Len(t, got, 37)
	for i, s := range got {
		require.Equal(t, ps[i].ID, s.ID)
		require.Equal(t, i+1, s.Seq)
		require.Equal(t, now, s.StartedAt.UTC())
	}
	require.JSONEq(t, `{"result":true}`, string(got[0].Output))
	require.Equal(t, "true", got[0].Handle)
	require.NotNil(t, got[0].FinishedAt)
	require.Equal(t, domain.StepWaiting, got[36].Status)
	require.Nil(t, got[36].FinishedAt)
	require.Nil(t, got[36].Output)
	require.JSONEq(t, `{"until":"2030-01-01T00:00:00Z"}`, string(got[36].Input))

	err := st.InTx(ctx, tenant, func(tx store.Tx) error { return tx.(stepBatcher).StepInsertMany(ctx, ps[36:]) })
	require.ErrorIs(t, err, store.ErrConflict)
}
