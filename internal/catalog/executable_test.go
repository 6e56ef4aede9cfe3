package catalog_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/catalog"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// refuse is a NodeExecutor that cannot run one node type.
type refuse string

func (r refuse) Executable(typ string) (bool, string) {
	if typ == string(r) {
		return false, "no provider is set up"
	}
	return true, ""
}

func TestPublishRefusesUnavailableNodeType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	const def = `{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
	 {"id":"wait","type":"delay","config":{"duration":"1h"},"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"wait"},{"id":"e2","source":"wait","target":"done"}]}`
	var tenant, wf uuid.UUID
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + domain.NewID().String()[:8], Plan: domain.PlanFree})
		tenant = tn.ID
		return err
	}))
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		wf = domain.NewID()
		_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wf, Name: "w", Definition: json.RawMessage(def)})
		return err
	}))

	c := catalog.New(st, catalog.Options{Executor: refuse(workflow.TypeDelay)})
	_, err := c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
	var invalid *catalog.InvalidError
	require.ErrorAs(t, err, &invalid)
	require.Len(t, invalid.Problems, 1)
	p := invalid.Problems[0]
	require.Equal(t, catalog.CodeUnavailableNodeType, p.Code)
	require.Equal(t, "wait", p.NodeID)
	require.Contains(t, p.Message, "no provider is set up")
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		n, err := tx.WorkflowVersionMax(ctx, tenant, wf)
		require.Zero(t, n, "a draft with an unavailable step publishes nothing")
		return err
	}))

	// The same draft publishes where the type can run.
	v, err := catalog.New(st, catalog.Options{Executor: refuse(workflow.TypeEmailSend)}).
		Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
	require.NoError(t, err)
	require.Equal(t, 1, v.Version)
}
