package starter_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/catalog"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
	"github.com/nextflow-dev/nextflow/internal/workflow/starter"
)

// Every starter is published through the catalog, the same check the
// publish route makes: shape, graph, configs, expressions, templates,
// plain secrets and credentials.
func TestStartersPublish(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	var tenant *domain.Tenant
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		tenant, err = tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Starters", Slug: "starters", Plan: domain.PlanPro})
		return err
	}))
	cat := catalog.New(st, catalog.Options{})
	require.Len(t, starter.List(), 4)
	used := map[string]bool{}
	for _, s := range starter.List() {
		t.Run(s.ID, func(t *testing.T) {
			require.NotEmpty(t, s.Name)
			require.NotEmpty(t, s.Description)
			require.NotEmpty(t, s.Channels)
			raw, err := json.Marshal(s.Definition)
			require.NoError(t, err)
			var wf *domain.Workflow
			require.NoError(t, st.InTx(ctx, tenant.ID, func(tx store.Tx) error {
				wf, err = tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant.ID, Name: s.Name, Definition: raw})
				return err
			}))
			v, err := cat.Publish(ctx, catalog.PublishParams{TenantID: tenant.ID, WorkflowID: wf.ID})
			var invalid *catalog.InvalidError
			if errors.As(err, &invalid) {
				t.Fatalf("starter %s does not publish: %v", s.ID, invalid.Problems)
			}
			require.NoError(t, err)
			require.Equal(t, 1, v.Version)
			for _, n := range s.Definition.Nodes {
				used[n.Type] = true
				require.NotEmpty(t, n.Label, "node %s of %s is labelled", n.ID, s.ID)
			}
		})
	}
	for _, typ := range []string{workflow.TypeTriggerEvent, workflow.TypeEmailSend, workflow.TypeWhatsAppSend,
		workflow.TypeWaitForEvent, workflow.TypeCondition, workflow.TypeDelay, workflow.TypeEnd} {
		require.True(t, used[typ], "some starter uses %s", typ)
	}
	got, ok := starter.Get("reply-triage")
	require.True(t, ok)
	require.Equal(t, "Reply triage", got.Name)
	_, ok = starter.Get("nope")
	require.False(t, ok)
}
