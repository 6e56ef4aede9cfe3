package aistep_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
	"github.com/nextflow-dev/nextflow/internal/ai/aistep"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// classifyDef is trigger → ai.classify(question, complaint, unsubscribe)
// → one set_attribute per label and other → end; the classify node's
// error handle goes to "failed".
func classifyDef(trigger string) string {
	return fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%s,"position":{"x":0,"y":0}},
	 {"id":"route","type":"ai.classify","config":{"input":"{{ trigger.input.text }}{{ trigger.event.properties.text }}","labels":["question","complaint","unsubscribe"],"instructions":"Customer replies to a shop.","retry":{"maxAttempts":2,"backoff":"10ms"}},"position":{"x":0,"y":100}},
	 {"id":"question","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'question'"}},"position":{"x":0,"y":200}},
	 {"id":"complaint","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'complaint'"}},"position":{"x":0,"y":200}},
	 {"id":"unsubscribe","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'unsubscribe'"}},"position":{"x":0,"y":200}},
	 {"id":"other","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'other'"}},"position":{"x":0,"y":200}},
	 {"id":"failed","type":"set_attribute","config":{"target":"vars","attributes":{"branch":"'error'"}},"position":{"x":0,"y":200}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":300}}],
	 "edges":[{"id":"e1","source":"start","target":"route"},
	  {"id":"e2","source":"route","sourceHandle":"question","target":"question"},
	  {"id":"e3","source":"route","sourceHandle":"complaint","target":"complaint"},
	  {"id":"e4","source":"route","sourceHandle":"unsubscribe","target":"unsubscribe"},
	  {"id":"e5","source":"route","sourceHandle":"other","target":"other"},
	  {"id":"e6","source":"route","sourceHandle":"error","target":"failed"},
	  {"id":"e7","source":"question","target":"done"},{"id":"e8","source":"complaint","target":"done"},
	  {"id":"e9","source":"unsubscribe","target":"done"},{"id":"e10","source":"other","target":"done"},
	  {"id":"e11","source":"failed","target":"done"}]}`, trigger)
}

func nodeIDs(steps []domain.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.NodeID
	}
	return out
}

func step(t *testing.T, steps []domain.Step, nodeID string) *domain.Step {
	t.Helper()
	for i := range steps {
		if steps[i].NodeID == nodeID {
			return &steps[i]
		}
	}
	t.Fatalf("no %s step in %v", nodeID, nodeIDs(steps))
	return nil
}

// runClassify runs classifyDef by hand on text.
func (h *harness) runClassify(t *testing.T, text string) (*domain.Execution, []domain.Step) {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"text": text})
	return h.runDef(t, classifyDef(fmt.Sprintf("%q", workflow.TypeTriggerManual)), string(in))
}

// backends × flavours: the classify journeys run on both stores against
// both wire formats.
func eachClassify(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, db := range []struct {
		name string
		open func(testing.TB, ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		for _, flavour := range []string{aifake.OpenAI, aifake.Anthropic} {
			t.Run(db.name+"/"+flavour, func(t *testing.T) {
				t.Parallel()
				h := setupWith(t, db.open, flavour)
				h.configure(t, 0)
				fn(t, h)
			})
		}
	}
}

func TestClassifyFollowsTheLabelsBranch(t *testing.T) {
	t.Parallel()
	eachClassify(t, func(t *testing.T, h *harness) {
		h.fake.Enqueue(aifake.Reply{Text: `{"label":"complaint","confidence":0.92}`, TokensIn: 40, TokensOut: 7})
		exec, steps := h.runClassify(t, "My parcel arrived broken.")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "complaint", "done"}, nodeIDs(steps), "only the label's branch runs")
		st := step(t, steps, "route")
		require.Equal(t, "complaint", st.Handle)
		var out aistep.ClassifyOutput
		require.NoError(t, json.Unmarshal(st.Output, &out), string(st.Output))
		require.Equal(t, "complaint", out.Label)
		require.NotNil(t, out.Confidence)
		require.InDelta(t, 0.92, *out.Confidence, 1e-9)
		require.Equal(t, int64(40), out.TokensIn)
		require.Equal(t, int64(7), out.TokensOut)
		require.NotEmpty(t, out.Model)
		require.Equal(t, 1, out.Calls)
		require.Equal(t, "My parcel arrived broken.", out.Input)

		// The request asked for structured output with the labels and other.
		require.Equal(t, 1, h.fake.Calls())
		req := h.fake.Requests()[0]
		require.Equal(t, "My parcel arrived broken.", aifake.LastUserText(req))
		var schema map[string]any
		if h.flavour == aifake.OpenAI {
			rf, _ := req.Body["response_format"].(map[string]any)
			require.Equal(t, "json_schema", rf["type"])
			js, _ := rf["json_schema"].(map[string]any)
			require.Equal(t, true, js["strict"])
			schema, _ = js["schema"].(map[string]any)
		} else {
			oc, _ := req.Body["output_config"].(map[string]any)
			format, _ := oc["format"].(map[string]any)
			require.Equal(t, "json_schema", format["type"])
			schema, _ = format["schema"].(map[string]any)
		}
		label := schema["properties"].(map[string]any)["label"].(map[string]any)
		require.Equal(t, []any{"question", "complaint", "unsubscribe", "other"}, label["enum"])

		u := h.usage(t)
		require.Len(t, u, 1)
		require.Equal(t, int64(1), u[0].Calls)
		require.Equal(t, int64(47), u[0].TokensIn+u[0].TokensOut)
	})
}

func TestClassifyAnswerOutsideTheLabelsTakesOther(t *testing.T) {
	t.Parallel()
	eachClassify(t, func(t *testing.T, h *harness) {
		h.fake.Enqueue(aifake.Reply{Text: `{"label":"spam","confidence":0.4}`})
		exec, steps := h.runClassify(t, "WIN A PRIZE")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "other", "done"}, nodeIDs(steps))
		var out aistep.ClassifyOutput
		require.NoError(t, json.Unmarshal(step(t, steps, "route").Output, &out))
		require.Equal(t, "other", out.Label)
		require.Equal(t, "spam", out.Answer, "the model's own word is kept")
		require.Equal(t, 1, h.fake.Calls(), "a well-formed answer is not asked again")
	})
}

func TestClassifyInvalidAnswerIsAskedAgain(t *testing.T) {
	t.Parallel()
	eachClassify(t, func(t *testing.T, h *harness) {
		h.fake.Enqueue(aifake.Reply{Text: "Hmm, I would say it is a question of sorts", TokensIn: 10, TokensOut: 10},
			aifake.Reply{Text: `{"label":"Question","confidence":0.8}`, TokensIn: 30, TokensOut: 5})
		exec, steps := h.runClassify(t, "When do you open?")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "question", "done"}, nodeIDs(steps))
		var out aistep.ClassifyOutput
		require.NoError(t, json.Unmarshal(step(t, steps, "route").Output, &out))
		require.Equal(t, "question", out.Label, "labels match without regard to case")
		require.Equal(t, 2, out.Calls)
		require.Len(t, out.Refused, 1)
		require.Equal(t, int64(40), out.TokensIn)
		// The second call carries the refused answer and the problem.
		second := h.fake.Requests()[1]
		require.Contains(t, aifake.LastUserText(second), "not valid")
		u := h.usage(t)
		require.Len(t, u, 1)
		require.Equal(t, int64(2), u[0].Calls, "both calls are counted")
		require.Equal(t, int64(55), u[0].TokensIn+u[0].TokensOut)
	})
}

func TestClassifyNeverValidTakesTheErrorHandle(t *testing.T) {
	t.Parallel()
	eachClassify(t, func(t *testing.T, h *harness) {
		h.fake.Respond(func(aifake.Request) aifake.Reply { return aifake.Reply{Text: "no idea"} })
		exec, steps := h.runClassify(t, "???")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "failed", "done"}, nodeIDs(steps))
		st := step(t, steps, "route")
		require.Equal(t, domain.StepFailed, st.Status)
		require.Contains(t, st.Error, "no valid answer after 3 calls")
		require.Equal(t, 1+aistep.MaxInvalidAnswers, h.fake.Calls(), "bounded, and not retried by the engine")
		u := h.usage(t)
		require.Len(t, u, 1, "the tokens spent on invalid answers are recorded")
		require.Equal(t, int64(3), u[0].Calls)
	})
}

func TestClassifyProviderFailures(t *testing.T) {
	t.Parallel()
	eachClassify(t, func(t *testing.T, h *harness) {
		// A 429 is retried by the node's policy (maxAttempts 2)…
		h.fake.Enqueue(aifake.Reply{Status: 429, Text: "slow down", RetryAfter: "0"}, aifake.Reply{Text: `{"label":"unsubscribe","confidence":1}`})
		exec, steps := h.runClassify(t, "STOP")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "unsubscribe", "done"}, nodeIDs(steps))
		require.Equal(t, 2, h.fake.Calls())

		// …a 400 is not: the error handle at once.
		h.fake.Enqueue(aifake.Reply{Status: 400, Text: "bad model"})
		exec, steps = h.runClassify(t, "hello")
		require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
		require.Equal(t, []string{"start", "route", "failed", "done"}, nodeIDs(steps))
		require.Contains(t, step(t, steps, "route").Error, "400")
		require.Equal(t, 3, h.fake.Calls(), "one call for the 400")
	})
}

// TestClassifyRoutesAWhatsAppReply is the flagship journey: an inbound
// WhatsApp reply (the whatsapp.message_received event the WhatsApp
// channel stores) starts trigger.event → ai.classify → its branch.
func TestClassifyRoutesAWhatsAppReply(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		open func(testing.TB, ...storetest.Option) store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			h := setupWith(t, db.open, aifake.OpenAI)
			h.configure(t, 0)
			h.publish(t, classifyDef(`"trigger.event","config":{"event":"whatsapp.message_received","reentry":"always"}`))
			ctx := context.Background()
			phone := "+4915112345678"
			var c *domain.Contact
			require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
				var err error
				c, _, err = tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: h.tenant, Phone: &phone})
				return err
			}))
			for _, tc := range []struct{ text, answer, branch string }{
				{"How long is shipping to Lyon?", "question", "question"},
				{"Please stop messaging me", "unsubscribe", "unsubscribe"},
				{"🙂", "greeting", "other"},
			} {
				h.fake.Enqueue(aifake.Reply{Text: fmt.Sprintf(`{"label":%q,"confidence":0.9}`, tc.answer)})
				props, _ := json.Marshal(map[string]any{"messageId": "wamid." + domain.NewID().String(), "type": "text", "text": tc.text, "from": phone})
				now := time.Now().UTC()
				var started []domain.Execution
				require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
					res, err := h.eng.EventTx(ctx, tx, []engineEvent{{Contact: c, Event: domain.Event{ID: domain.NewID(), TenantID: h.tenant,
						ContactID: c.ID, Name: "whatsapp.message_received", Properties: props, OccurredAt: now, ReceivedAt: now,
						MessageID: domain.NewID().String()}}})
					if err != nil {
						return err
					}
					for _, id := range res.Started {
						started = append(started, domain.Execution{ID: id})
					}
					return nil
				}))
				require.Len(t, started, 1)
				exec, steps := h.wait(t, &started[0])
				require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
				require.Equal(t, []string{"start", "route", tc.branch, "done"}, nodeIDs(steps), tc.text)
				require.Equal(t, tc.text, aifake.LastUserText(h.fake.Requests()[h.fake.Calls()-1]))
			}
		})
	}
}

type engineEvent = engine.IncomingEvent
