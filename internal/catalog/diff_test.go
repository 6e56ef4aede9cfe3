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

func TestDiffDefinitions(t *testing.T) {
	t.Parallel()
	base := `{"nodes":[
	 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
	 {"id":"check","type":"condition","config":{"expression":"contact.plan == \"pro\"","n":1.0},"position":{"x":0,"y":100}},
	 {"id":"wait","type":"delay","config":{"duration":"1h"},"position":{"x":0,"y":200}},
	 {"id":"done","type":"end","position":{"x":0,"y":300}}],
	 "edges":[{"id":"e1","source":"start","target":"check"},{"id":"e2","source":"check","sourceHandle":"true","target":"wait"},
	          {"id":"e3","source":"wait","sourceHandle":"out","target":"done"}]}`

	for _, tc := range []struct {
		name    string
		target  string
		changed bool
		check   func(t *testing.T, d *catalog.DefinitionDiff)
	}{
		{
			name: "SameGraphMovedAndReorderedIsUnchanged",
			// Other positions, other key order, other edge IDs, "" for "out", 1 for 1.0, null config for none.
			target: `{"nodes":[
			 {"id":"done","type":"end","config":null,"position":{"x":50,"y":300}},
			 {"id":"check","type":"condition","config":{"n":1,"expression":"contact.plan == \"pro\""},"position":{"x":40,"y":100}},
			 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
			 {"id":"wait","type":"delay","config":{"duration":"1h"},"position":{"x":0,"y":200}}],
			 "edges":[{"id":"x9","source":"wait","target":"done"},{"id":"x1","source":"start","sourceHandle":"out","target":"check"},
			          {"id":"x2","source":"check","sourceHandle":"true","target":"wait"}]}`,
			check: func(t *testing.T, d *catalog.DefinitionDiff) {
				require.ElementsMatch(t, []string{"done", "check"}, d.Moved)
			},
		},
		{
			name: "ConfigLabelNodesAndEdges",
			target: `{"nodes":[
			 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
			 {"id":"check","type":"condition","label":"Pro plan?","config":{"expression":"contact.plan == \"team\"","n":1},"position":{"x":0,"y":100}},
			 {"id":"send","type":"http.request","config":{"url":"https://example.com"},"position":{"x":0,"y":200}},
			 {"id":"done","type":"end","position":{"x":0,"y":300}}],
			 "edges":[{"id":"e1","source":"start","target":"check"},{"id":"e2","source":"check","sourceHandle":"true","target":"send"},
			          {"id":"e4","source":"send","target":"done"}]}`,
			changed: true,
			check: func(t *testing.T, d *catalog.DefinitionDiff) {
				require.Len(t, d.AddedNodes, 1)
				require.Equal(t, "send", d.AddedNodes[0].ID)
				require.Len(t, d.RemovedNodes, 1)
				require.Equal(t, "wait", d.RemovedNodes[0].ID)
				require.Len(t, d.ChangedNodes, 1)
				require.Equal(t, "check", d.ChangedNodes[0].Node.ID)
				require.Equal(t, []catalog.FieldChange{
					{Path: "/label", After: `"Pro plan?"`},
					{Path: "/config/expression", Before: `"contact.plan == \"pro\""`, After: `"contact.plan == \"team\""`},
				}, d.ChangedNodes[0].Fields)
				added := []string{}
				for _, e := range d.AddedEdges {
					added = append(added, e.Source+">"+e.Target)
				}
				removed := []string{}
				for _, e := range d.RemovedEdges {
					removed = append(removed, e.Source+">"+e.Target)
				}
				require.ElementsMatch(t, []string{"check>send", "send>done"}, added)
				require.ElementsMatch(t, []string{"check>wait", "wait>done"}, removed)
			},
		},
		{
			name: "NestedArraysAndHandles",
			target: `{"nodes":[
			 {"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
			 {"id":"check","type":"condition","config":{"expression":"contact.plan == \"pro\"","n":1,"tags":["a/b"]},"position":{"x":0,"y":100}},
			 {"id":"wait","type":"delay","config":{"duration":"1h"},"position":{"x":0,"y":200}},
			 {"id":"done","type":"end","position":{"x":0,"y":300}}],
			 "edges":[{"id":"e1","source":"start","target":"check"},{"id":"e2","source":"check","sourceHandle":"false","target":"wait"},
			          {"id":"e3","source":"wait","target":"done"}]}`,
			changed: true,
			check: func(t *testing.T, d *catalog.DefinitionDiff) {
				require.Equal(t, []catalog.FieldChange{{Path: "/config/tags", After: `["a/b"]`}}, d.ChangedNodes[0].Fields)
				require.Len(t, d.AddedEdges, 1)
				require.Equal(t, "false", d.AddedEdges[0].SourceHandle, "another handle is another edge")
				require.Len(t, d.RemovedEdges, 1)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := catalog.DiffRaw([]byte(base), []byte(tc.target))
			require.NoError(t, err)
			require.Equal(t, tc.changed, d.Changed())
			tc.check(t, d)
		})
	}

	t.Run("EmptyBaseAddsEverything", func(t *testing.T) {
		t.Parallel()
		d, err := catalog.DiffRaw(nil, []byte(base))
		require.NoError(t, err)
		require.True(t, d.Changed())
		require.Len(t, d.AddedNodes, 4)
		require.Len(t, d.AddedEdges, 3)
	})

	t.Run("ManyConfigChangesAreCapped", func(t *testing.T) {
		t.Parallel()
		many := map[string]int{}
		for i := range 80 {
			many[string(rune('a'+i%26))+string(rune('a'+i/26))] = i
		}
		cfg, err := json.Marshal(many)
		require.NoError(t, err)
		d, err := catalog.DiffDefinitions(
			&workflow.Definition{Nodes: []workflow.Node{{ID: "n", Type: "delay"}}},
			&workflow.Definition{Nodes: []workflow.Node{{ID: "n", Type: "delay", Config: cfg}}},
		)
		require.NoError(t, err)
		require.Len(t, d.ChangedNodes[0].Fields, 50)
		require.True(t, d.ChangedNodes[0].Truncated)
	})

	t.Run("LongValuesAreCut", func(t *testing.T) {
		t.Parallel()
		long, err := json.Marshal(map[string]string{"body": string(make([]rune, 500))})
		require.NoError(t, err)
		d, err := catalog.DiffDefinitions(
			&workflow.Definition{Nodes: []workflow.Node{{ID: "n", Type: "delay"}}},
			&workflow.Definition{Nodes: []workflow.Node{{ID: "n", Type: "delay", Config: long}}},
		)
		require.NoError(t, err)
		require.LessOrEqual(t, len([]rune(d.ChangedNodes[0].Fields[0].After)), 160)
	})
}

func TestPublishUnchangedDraft(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	var tenant uuid.UUID
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + domain.NewID().String()[:8], Plan: domain.PlanFree})
		tenant = tn.ID
		return err
	}))
	wf := domain.NewID()
	require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
		_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wf, Name: "ok", Definition: json.RawMessage(validDef)})
		return err
	}))
	c := catalog.New(st, catalog.Options{})
	v, err := c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
	require.NoError(t, err)
	require.Equal(t, 1, v.Version)

	update := func(def string) {
		t.Helper()
		require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
			w, err := tx.WorkflowGetByID(ctx, tenant, wf)
			if err != nil {
				return err
			}
			_, err = tx.WorkflowUpdateDraft(ctx, &store.WorkflowUpdateDraftParams{TenantID: tenant, ID: wf, ExpectedRevision: w.Revision, Name: w.Name, Definition: json.RawMessage(def)})
			return err
		}))
	}
	// Moving a node is not a change: publishing again is refused and writes nothing.
	update(`{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":300,"y":0}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e7","source":"start","target":"done"}]}`)
	_, err = c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
	var unchanged *catalog.UnchangedError
	require.ErrorAs(t, err, &unchanged)
	require.Equal(t, 1, unchanged.Version)
	require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
		n, err := tx.WorkflowVersionMax(ctx, tenant, wf)
		require.Equal(t, 1, n)
		return err
	}))

	// A label is a change.
	update(`{"nodes":[{"id":"start","type":"trigger.manual","label":"Go","config":{},"position":{"x":300,"y":0}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e7","source":"start","target":"done"}]}`)
	v, err = c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
	require.NoError(t, err)
	require.Equal(t, 2, v.Version)
}
