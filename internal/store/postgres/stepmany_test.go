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

type stepBatcher interface {
	StepInsertMany(ctx context.Context, ps []*store.StepInsertParams) error
}

func TestStepInsertMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.Postgres(t)
	tenant, wf, ver, exec := domain.NewID(), domain.NewID(), domain.NewID(), domain.NewID()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "A", Slug: "a-" + tenant.String()[:8], Plan: domain.PlanFree})
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
	steps := func(from int) []*store.StepInsertParams {
		var ps []*store.StepInsertParams
		for i := from; i < from+3; i++ {
			ps = append(ps, &store.StepInsertParams{TenantID: tenant, ExecutionID: exec, Seq: i, NodeID: "n", NodeType: "condition",
				Status: domain.StepCompleted, Attempt: 1, Output: json.RawMessage(`{"result":true}`), Handle: "true", StartedAt: now, FinishedAt: &now})
		}
		return ps
	}
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		return tx.(stepBatcher).StepInsertMany(ctx, steps(1))
	}))
	var got []domain.Step
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		var err error
		got, err = tx.StepListByExecution(ctx, tenant, exec)
		return err
	}))
	require.Len(t, got, 3)
	require.Equal(t, 1, got[0].Seq)
	require.JSONEq(t, `{"result":true}`, string(got[2].Output))
	require.Nil(t, got[0].Input)
	require.True(t, got[1].FinishedAt.Equal(now))

	// A batch overlapping existing steps is a conflict, and rolls back.
	err := st.InTx(ctx, tenant, func(tx store.Tx) error {
		return tx.(stepBatcher).StepInsertMany(ctx, steps(3))
	})
	require.True(t, errors.Is(err, store.ErrConflict), "got %v", err)
}
