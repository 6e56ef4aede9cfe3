package sqlite_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

type executionBatcher interface {
	ExecutionInsertMany(ctx context.Context, ps []*store.ExecutionInsertParams) ([]*domain.Execution, error)
}

// TestExecutionInsertMany writes 19 executions (chunks of 16, 2 and 1
// rows); a key used earlier in the batch, or before it, skips its row.
func TestExecutionInsertMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	tenant, wf, ver := domain.NewID(), domain.NewID(), domain.NewID()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenant, Name: "A", Slug: "a", Plan: domain.PlanFree})
		return err
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
	var ps []*store.ExecutionInsertParams
	for i := range 19 {
		p := &store.ExecutionInsertParams{TenantID: tenant, ID: domain.NewID(), WorkflowID: wf, VersionID: ver, Version: 1,
			Status: domain.ExecutionPending, TriggerType: "trigger.manual", Context: json.RawMessage(`{"vars": {}}`), CurrentNodeID: "start"}
		switch i {
		case 0:
			p.ContactID = &contact
		case 3, 17:
			p.IdempotencyKey = "k" // 17 repeats 3, in another chunk
		}
		ps = append(ps, p)
	}
	var got []*domain.Execution
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		var err error
		got, err = tx.(executionBatcher).ExecutionInsertMany(ctx, ps)
		return err
	}))
	require.Len(t, got, 19)
	for i, exec := range got {
		if i == 17 {
			require.Nil(t, exec, "key used earlier in the batch")
			continue
		}
		require.NotNil(t, exec)
		require.Equal(t, ps[i].ID, exec.ID)
		var stored *domain.Execution
		require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
			var err error
			stored, err = tx.ExecutionGetByID(ctx, tenant, exec.ID)
			return err
		}))
		require.Equal(t, domain.ExecutionPending, stored.Status)
		require.Equal(t, ps[i].ContactID, stored.ContactID)
		require.Equal(t, ps[i].IdempotencyKey, stored.IdempotencyKey)
		require.JSONEq(t, `{"vars": {}}`, string(stored.Context))
	}
	again := []*store.ExecutionInsertParams{{TenantID: tenant, WorkflowID: wf, VersionID: ver, Version: 1,
		Status: domain.ExecutionPending, Context: json.RawMessage(`{}`), IdempotencyKey: "k"}}
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		got, err := tx.(executionBatcher).ExecutionInsertMany(ctx, again)
		require.Equal(t, []*domain.Execution{nil}, got, "key used by an earlier batch")
		return err
	}))
}
