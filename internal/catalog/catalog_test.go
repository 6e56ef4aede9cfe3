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

const validDef = `{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e1","source":"start","target":"done"}]}`

func TestPublish(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := open(t)
			var tenant, wf, bad uuid.UUID
			require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + domain.NewID().String()[:8], Plan: domain.PlanFree})
				tenant = tn.ID
				return err
			}))
			require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
				wf, bad = domain.NewID(), domain.NewID()
				if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: wf, Name: "ok", Definition: json.RawMessage(validDef)}); err != nil {
					return err
				}
				_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: bad, Name: "bad", Definition: json.RawMessage(`{"nodes":[],"edges":[]}`)})
				return err
			}))
			c := catalog.New(st, catalog.Options{})

			v, err := c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
			require.NoError(t, err)
			require.Equal(t, 1, v.Version)
			_, err = c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: wf})
			var unchanged *catalog.UnchangedError
			require.ErrorAs(t, err, &unchanged, "the same draft twice makes one version")
			_, err = c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: bad})
			var invalid *catalog.InvalidError
			require.ErrorAs(t, err, &invalid)
			require.Equal(t, workflow.CodeNoTrigger, invalid.Problems[0].Code)
			require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
				n, err := tx.WorkflowVersionMax(ctx, tenant, bad)
				require.Zero(t, n, "an invalid draft publishes nothing")
				return err
			}))
			_, err = c.Publish(ctx, catalog.PublishParams{TenantID: tenant, WorkflowID: domain.NewID()})
			require.ErrorIs(t, err, store.ErrNotFound)
		})
	}
}

// TestPublishTriggerSegment: a trigger.segment naming a segment the tenant
// does not have (another tenant's, or none) is an unknown_segment problem
// on its node and publishes nothing; one naming the tenant's segment
// publishes.
func TestPublishTriggerSegment(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := open(t)
			tenants := make([]uuid.UUID, 2)
			require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				for i := range tenants {
					tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
					if err != nil {
						return err
					}
					tenants[i] = tn.ID
				}
				return nil
			}))
			segs := make([]uuid.UUID, 2)
			for i, tn := range tenants {
				require.NoError(t, st.InTx(ctx, tn, func(tx store.Tx) error {
					s, err := tx.SegmentInsert(ctx, &store.SegmentInsertParams{TenantID: tn, Name: "PRO",
						Definition: json.RawMessage(`{"attribute":{"key":"plan","op":"eq","value":"PRO"}}`)})
					segs[i] = s.ID
					return err
				}))
			}
			def := func(seg uuid.UUID) json.RawMessage {
				return json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.segment","config":{"segmentId":"` + seg.String() + `","on":"exited"},"position":{"x":0,"y":0}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e1","source":"start","target":"done"}]}`)
			}
			c := catalog.New(st, catalog.Options{})
			for _, other := range []uuid.UUID{segs[1], domain.NewID()} {
				wf := domain.NewID()
				require.NoError(t, st.InTx(ctx, tenants[0], func(tx store.Tx) error {
					_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenants[0], ID: wf, Name: "w-" + wf.String()[:8], Definition: def(other)})
					return err
				}))
				_, err := c.Publish(ctx, catalog.PublishParams{TenantID: tenants[0], WorkflowID: wf})
				var invalid *catalog.InvalidError
				require.ErrorAs(t, err, &invalid)
				require.Len(t, invalid.Problems, 1)
				require.Equal(t, workflow.CodeUnknownSegment, invalid.Problems[0].Code)
				require.Equal(t, "start", invalid.Problems[0].NodeID)
				require.Equal(t, "/segmentId", invalid.Problems[0].Path)
			}
			wf := domain.NewID()
			require.NoError(t, st.InTx(ctx, tenants[0], func(tx store.Tx) error {
				_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenants[0], ID: wf, Name: "ok", Definition: def(segs[0])})
				return err
			}))
			v, err := c.Publish(ctx, catalog.PublishParams{TenantID: tenants[0], WorkflowID: wf})
			require.NoError(t, err)
			require.Equal(t, 1, v.Version)
		})
	}
}

// TestPublishTemplateRefs: an email or Messenger step whose templateId
// names a deleted template, another tenant's, one of another channel or
// no ID at all is an unknown_template problem on that node at /templateId
// and publishes nothing; the tenant's template of the step's channel
// publishes.
func TestPublishTemplateRefs(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := open(t)
			tenants := make([]uuid.UUID, 2)
			require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				for i := range tenants {
					tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
					if err != nil {
						return err
					}
					tenants[i] = tn.ID
				}
				return nil
			}))
			saved := func(tenant uuid.UUID, channel domain.ChannelKind, content string) uuid.UUID {
				var id uuid.UUID
				require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
					tm, err := tx.MessageTemplateInsert(ctx, &store.MessageTemplateInsertParams{TenantID: tenant, Channel: channel,
						Name: "t-" + uuid.NewString()[:8], Content: json.RawMessage(content)})
					id = tm.ID
					return err
				}))
				return id
			}
			email := saved(tenants[0], domain.ChannelEmail, `{"subject":"Hi","text":"Hello"}`)
			messenger := saved(tenants[0], domain.ChannelMessenger, `{"text":"Hello"}`)
			othersEmail := saved(tenants[1], domain.ChannelEmail, `{"subject":"Hi","text":"Hello"}`)
			deleted := saved(tenants[0], domain.ChannelEmail, `{"subject":"Hi","text":"Hello"}`)
			require.NoError(t, st.InTx(ctx, tenants[0], func(tx store.Tx) error {
				return tx.MessageTemplateDelete(ctx, tenants[0], deleted)
			}))
			def := func(nodeType, templateID string) json.RawMessage {
				return json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},
 {"id":"send","type":"` + nodeType + `","config":{"templateId":"` + templateID + `"},"position":{"x":0,"y":100}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
 "edges":[{"id":"e1","source":"start","target":"send"},{"id":"e2","source":"send","target":"done"}]}`)
			}
			c := catalog.New(st, catalog.Options{})
			publish := func(d json.RawMessage) (*domain.WorkflowVersion, error) {
				wf := domain.NewID()
				require.NoError(t, st.InTx(ctx, tenants[0], func(tx store.Tx) error {
					_, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenants[0], ID: wf, Name: "w-" + wf.String()[:8], Definition: d})
					return err
				}))
				return c.Publish(ctx, catalog.PublishParams{TenantID: tenants[0], WorkflowID: wf})
			}
			for _, bad := range []struct{ nodeType, templateID, says string }{
				{"email.send", deleted.String(), "does not exist"},
				{"email.send", othersEmail.String(), "does not exist"},
				{"email.send", messenger.String(), "is for messenger, not email"},
				{"messenger.send", email.String(), "is for email, not messenger"},
				{"email.send", "welcome", "not a template ID"},
			} {
				_, err := publish(def(bad.nodeType, bad.templateID))
				var invalid *catalog.InvalidError
				require.ErrorAs(t, err, &invalid, "%+v", bad)
				require.Len(t, invalid.Problems, 1, "%+v", bad)
				require.Equal(t, workflow.CodeUnknownTemplate, invalid.Problems[0].Code)
				require.Equal(t, "send", invalid.Problems[0].NodeID)
				require.Equal(t, "/templateId", invalid.Problems[0].Path)
				require.Contains(t, invalid.Problems[0].Message, bad.says)
			}
			for _, ok := range []struct{ nodeType, templateID string }{{"email.send", email.String()}, {"messenger.send", messenger.String()}} {
				v, err := publish(def(ok.nodeType, ok.templateID))
				require.NoError(t, err, "%+v", ok)
				require.Equal(t, 1, v.Version)
			}
		})
	}
}
