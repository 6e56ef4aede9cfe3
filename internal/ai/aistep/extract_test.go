package aistep_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
	"github.com/nextflow-dev/nextflow/internal/ai/aistep"
	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// extractDef is trigger → ai.extract(order schema, saveToContact) → end;
// the error handle goes to "failed".
const extractDef = `{"nodes":[
 {"id":"start","type":"trigger.manual","position":{"x":0,"y":0}},
 {"id":"pull","type":"ai.extract","config":{"input":"{{ trigger.input.text }}","saveToContact":true,
   "schema":{"type":"object","properties":{"order_id":{"type":"string","pattern":"^[A-Z]-[0-9]+$"},"quantity":{"type":"integer","minimum":1}},"required":["order_id"]}},"position":{"x":0,"y":100}},
 {"id":"failed","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'error'"}},"position":{"x":0,"y":200}},
 {"id":"done","type":"end","config":{},"position":{"x":0,"y":300}}],
 "edges":[{"id":"e1","source":"start","target":"pull"},{"id":"e2","source":"pull","target":"done"},
  {"id":"e3","source":"pull","sourceHandle":"error","target":"failed"},{"id":"e4","source":"failed","target":"done"}]}`

// runExtract runs extractDef for a new contact on text.
func (h *harness) runExtract(t *testing.T, text string) (*domain.Execution, []domain.Step, *domain.Contact) {
	t.Helper()
	ctx := context.Background()
	email := "ada." + domain.NewID().String()[:6] + "@example.com"
	var c *domain.Contact
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		var err error
		c, _, err = tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: h.tenant, Email: &email, Attributes: json.RawMessage(`{"plan":"pro"}`)})
		return err
	}))
	wf := h.publish(t, extractDef)
	in, _ := json.Marshal(map[string]any{"text": text})
	exec, err := h.eng.Start(ctx, engine.StartParams{TenantID: h.tenant, WorkflowID: wf, TriggerType: workflow.TypeTriggerManual,
		Input: in, ContactID: &c.ID, Contact: contact.View(c)})
	require.NoError(t, err)
	exec, steps := h.wait(t, exec)
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		c, err = tx.ContactGetByID(ctx, h.tenant, c.ID)
		return err
	}))
	return exec, steps, c
}

func TestExtractValidatesAndSavesToTheContact(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		open func(testing.TB, ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		for _, flavour := range []string{aifake.OpenAI, aifake.Anthropic} {
			t.Run(db.name+"/"+flavour, func(t *testing.T) {
				t.Parallel()
				h := setupWith(t, db.open, flavour)
				h.redact = func(in *ai.SettingsInput) { in.RedactPII = true }
				h.configure(t, 0)
				// The first answer breaks the schema; the second is valid.
				h.fake.Enqueue(aifake.Reply{Text: `{"order_id":"12","quantity":0}`, TokensIn: 50, TokensOut: 9},
					aifake.Reply{Text: "```json\n{\"order_id\":\"A-12\",\"quantity\":2}\n```", TokensIn: 80, TokensOut: 9})
				exec, steps, c := h.runExtract(t, "Order A-12, two please. Write to me at ada@example.org or +49 151 1234 5678")
				require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
				require.Equal(t, []string{"start", "pull", "done"}, nodeIDs(steps))
				st := step(t, steps, "pull")
				var out aistep.ExtractOutput
				require.NoError(t, json.Unmarshal(st.Output, &out), string(st.Output))
				require.Equal(t, map[string]any{"order_id": "A-12", "quantity": float64(2)}, out.Data)
				require.True(t, out.SavedToContact)
				require.Equal(t, 2, out.Calls)
				require.Len(t, out.Refused, 1)
				require.NotContains(t, out.Input, "ada@example.org", "emails are redacted from what is recorded")
				require.NotContains(t, out.Input, "1234 5678", "phones too")
				require.Contains(t, out.Input, ai.Redacted)
				// The provider got the text as it is, and the problems of the first answer.
				reqs := h.fake.Requests()
				require.Contains(t, aifake.LastUserText(reqs[0]), "ada@example.org")
				require.Contains(t, aifake.LastUserText(reqs[1]), "does not match the schema")
				require.Contains(t, aifake.LastUserText(reqs[1]), "/order_id")

				var attrs map[string]any
				require.NoError(t, json.Unmarshal(c.Attributes, &attrs))
				require.Equal(t, map[string]any{"plan": "pro", "order_id": "A-12", "quantity": float64(2)}, attrs, "merged in the step's transaction")
				u := h.usage(t)
				require.Len(t, u, 1)
				require.Equal(t, int64(2), u[0].Calls)
				require.Equal(t, int64(148), u[0].TokensIn+u[0].TokensOut)
			})
		}
	}
}

func TestExtractNeverValidTakesTheErrorHandle(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.configure(t, 0)
	h.fake.Respond(func(aifake.Request) aifake.Reply { return aifake.Reply{Text: `{"quantity":"lots"}`} })
	exec, steps, c := h.runExtract(t, "no order here")
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	require.Equal(t, []string{"start", "pull", "failed", "done"}, nodeIDs(steps))
	st := step(t, steps, "pull")
	require.Equal(t, domain.StepFailed, st.Status)
	require.Contains(t, st.Error, "no valid answer after 3 calls")
	require.Equal(t, 1+aistep.MaxInvalidAnswers, h.fake.Calls())
	require.JSONEq(t, `{"plan":"pro"}`, string(c.Attributes), "nothing written to the contact")
}

func TestExtractOverBudgetMakesNoCall(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.configure(t, 5)
	ctx := context.Background()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		_, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: h.tenant, Kind: workflow.TypeAIExtract,
			Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini", Calls: 1, TokensIn: 5, TokensOut: 1})
		return err
	}))
	exec, steps, _ := h.runExtract(t, "Order A-1")
	require.Equal(t, []string{"start", "pull", "failed", "done"}, nodeIDs(steps), exec.Error)
	require.Contains(t, step(t, steps, "pull").Error, "monthly AI token budget of 5 exceeded")
	require.Zero(t, h.fake.Calls())
}
