package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// storeContact upserts a contact of the bundle's tenant.
func (b *bundle) storeContact(t *testing.T, p *store.ContactUpsertParams) *domain.Contact {
	t.Helper()
	p.TenantID = b.tenant
	var c *domain.Contact
	require.NoError(t, b.st.InTx(context.Background(), b.tenant, func(tx store.Tx) error {
		var err error
		c, _, err = tx.ContactUpsert(context.Background(), p)
		return err
	}))
	return c
}

func strptr(s string) *string { return &s }

func TestContactStoredInContextAndWrittenThrough(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.storeContact(t, &store.ContactUpsertParams{ExternalID: strptr("u-1"), Email: strptr("ada@example.com"),
			Timezone: strptr("America/New_York"), Attributes: json.RawMessage(`{"plan":"free","seen":1}`)})
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "tag", "type": "set_attribute", "config": {"attributes": {"plan": "'pro'", "greeting": "'hi ' + contact.email"}}},
		  {"id": "note", "type": "set_attribute", "config": {"target": "vars", "attributes": {"sawPlan": "contact.attributes.plan", "zone": "contact.timezone"}}},
		  {"id": "pro", "type": "condition", "config": {"expression": "contact.attributes.plan == 'pro' && contact.attributes.seen == 1"}},
		  {"id": "ok", "type": "end"},
		  {"id": "bad", "type": "end", "config": {"status": "failed", "reason": "not a pro"}}],
		 "edges": [{"id": "e1", "source": "start", "target": "tag"}, {"id": "e2", "source": "tag", "target": "note"},
		  {"id": "e3", "source": "note", "target": "pro"},
		  {"id": "e4", "source": "pro", "sourceHandle": "true", "target": "ok"},
		  {"id": "e5", "source": "pro", "sourceHandle": "false", "target": "bad"}]}`)
		// The caller's map is ignored for a stored contact: the execution sees the row.
		exec, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, ContactID: &c.ID,
			Contact: map[string]any{"email": "forged@example.com"}})
		require.NoError(t, err)
		done, _ := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		cx := contextOf(t, done)
		vars := cx["vars"].(map[string]any)
		require.Equal(t, "pro", vars["sawPlan"], "the context shows the written attribute")
		require.Equal(t, "America/New_York", vars["zone"])
		view := cx["contact"].(map[string]any)
		require.Equal(t, c.ID.String(), view["id"])
		require.Equal(t, "u-1", view["externalId"])
		require.Equal(t, "hi ada@example.com", view["attributes"].(map[string]any)["greeting"])

		// Written through to the stored contact.
		require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
			got, err := tx.ContactGetByID(ctx, b.tenant, c.ID)
			require.NoError(t, err)
			require.JSONEq(t, `{"plan":"pro","seen":1,"greeting":"hi ada@example.com"}`, string(got.Attributes))
			return nil
		}))

		// A pure journey without a contact still writes only its context.
		plain, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual,
			Contact: map[string]any{"email": "x@example.com", "timezone": "UTC", "attributes": map[string]any{"seen": 1}}})
		require.NoError(t, err)
		b.waitFor(t, plain.ID, domain.ExecutionCompleted)
	})
}

func TestContactWriteThroughRollsBackWithTheStep(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		c := b.storeContact(t, &store.ContactUpsertParams{ExternalID: strptr("u-2"), Attributes: json.RawMessage(`{"n":1}`)})
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "tag", "type": "set_attribute", "config": {"attributes": {"n": "2"}}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "tag"}, {"id": "e2", "source": "tag", "target": "done"}]}`)
		boom := fmt.Errorf("caller's transaction fails")
		err := b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			if _, err := b.eng.StartTx(ctx, tx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, ContactID: &c.ID}); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		require.NoError(t, b.st.Read(ctx, b.tenant, func(tx store.Tx) error {
			got, err := tx.ContactGetByID(ctx, b.tenant, c.ID)
			require.NoError(t, err)
			require.JSONEq(t, `{"n":1}`, string(got.Attributes), "the write rolled back with the step")
			return nil
		}))
	})
}

func TestContactDelayUntilUsesStoredTimezone(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		tz := "Asia/Tokyo"
		c := b.storeContact(t, &store.ContactUpsertParams{ExternalID: strptr("u-3"), Timezone: &tz})
		loc, err := time.LoadLocation(tz)
		require.NoError(t, err)
		at := time.Now().In(loc).Add(3 * time.Hour)
		until := fmt.Sprintf("%02d:%02d", at.Hour(), at.Minute())
		wf := b.publish(t, `{"nodes": [
		  {"id": "start", "type": "trigger.manual"},
		  {"id": "wait", "type": "delay", "config": {"until": "`+until+`"}},
		  {"id": "done", "type": "end"}],
		 "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}]}`)
		exec, err := b.eng.Start(ctx, StartParams{TenantID: b.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual, ContactID: &c.ID})
		require.NoError(t, err)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionWaiting)
		require.Len(t, steps, 2)
		var in struct {
			Until time.Time `json:"until"`
		}
		require.NoError(t, json.Unmarshal(steps[1].Input, &in))
		want := time.Date(at.Year(), at.Month(), at.Day(), at.Hour(), at.Minute(), 0, 0, loc)
		require.True(t, want.Equal(in.Until), "due %s, want %s (Tokyo time)", in.Until, want)
	})
}
