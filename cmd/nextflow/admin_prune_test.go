package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
)

// seedOld writes a FREE workspace with n executions finished ten days ago
// (FREE keeps seven), each with one step, into the SQLite file of dir.
func seedOld(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "nextflow.db"), sqlite.Options{Queue: store.QueueConfig{WorkNone: true}})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(ctx))
	var tenant *domain.Tenant
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme", Plan: domain.PlanFree})
		return err
	}))
	old := time.Now().Add(-10 * 24 * time.Hour)
	require.NoError(t, st.InTx(ctx, tenant.ID, func(tx store.Tx) error {
		def := json.RawMessage(`{"nodes": [{"id": "start", "type": "trigger.manual", "config": {}, "position": {"x": 0, "y": 0}}], "edges": []}`)
		wf, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant.ID, Name: "W", Definition: def})
		require.NoError(t, err)
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant.ID, WorkflowID: wf.ID, Version: 1, Definition: def})
		require.NoError(t, err)
		for range n {
			e, err := tx.ExecutionInsert(ctx, &store.ExecutionInsertParams{TenantID: tenant.ID, WorkflowID: wf.ID, VersionID: v.ID,
				Version: 1, Status: domain.ExecutionCompleted, TriggerType: "trigger.manual", Context: json.RawMessage(`{}`),
				CurrentNodeID: "start", FinishedAt: &old})
			require.NoError(t, err)
			_, err = tx.StepInsert(ctx, &store.StepInsertParams{TenantID: tenant.ID, ExecutionID: e.ID, Seq: 1, NodeID: "start",
				NodeType: "trigger.manual", Status: domain.StepCompleted, Attempt: 1, Input: json.RawMessage(`{}`), StartedAt: old})
			require.NoError(t, err)
		}
		return nil
	}))
}

func TestAdminPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	seedOld(t, dir, 3)

	var out bytes.Buffer
	require.NoError(t, cmdAdminPrune(ctx, []string{"--dry-run", "--data-dir", dir}, &out))
	require.Contains(t, out.String(), "dry run: nothing is written")
	require.Contains(t, out.String(), "would delete: executions 3, steps 3, outbox 0, messages 0, events 0, audit 0 (0 batches")
	require.Regexp(t, `FREE +executions +\S+ +3 +0`, out.String())

	out.Reset()
	require.NoError(t, cmdAdminPrune(ctx, []string{"--data-dir", dir, "--tenant", "acme", "--execution-batch", "2"}, &out))
	require.Contains(t, out.String(), "1 workspaces, deleted: executions 3, steps 3, outbox 0, messages 0, events 0, audit 0 (4 batches")

	out.Reset()
	require.NoError(t, cmdAdminPrune(ctx, []string{"--dry-run", "--data-dir", dir}, &out))
	require.Contains(t, out.String(), "would delete: executions 0, steps 0")

	err := cmdAdminPrune(ctx, []string{"--data-dir", dir, "--tenant", "nobody"}, &out)
	require.ErrorContains(t, err, "--tenant")
	err = cmdAdminPrune(ctx, []string{"--data-dir", dir, "--batch", "0"}, &out)
	require.ErrorContains(t, err, "--batch")
}
