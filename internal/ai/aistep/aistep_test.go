package aistep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/ai/aifake"
	"github.com/nextflow-dev/nextflow/internal/ai/aistep"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

type harness struct {
	st     store.Store
	eng    *engine.Engine
	svc    *ai.Service
	fake   *aifake.Server
	tenant uuid.UUID
	// flavour is the fake provider's wire format (aifake.OpenAI…).
	flavour string
	// redact, when set, adjusts the settings configure saves.
	redact func(*ai.SettingsInput)
}

func setup(t *testing.T) *harness {
	t.Helper()
	return setupOn(t, storetest.SQLite)
}

func setupOn(t *testing.T, open func(testing.TB, ...storetest.Option) store.Store) *harness {
	t.Helper()
	return setupWith(t, open, aifake.OpenAI)
}

// setupWith starts a harness on a store of open with a fake provider of
// flavour (aifake.OpenAI or aifake.Anthropic).
func setupWith(t *testing.T, open func(testing.TB, ...storetest.Option) store.Store, flavour string) *harness {
	t.Helper()
	return setupOpts(t, open, flavour, nil)
}

// setupOpts is setupWith with the steps' options adjusted by opts (given
// the harness's store).
func setupOpts(t *testing.T, open func(testing.TB, ...storetest.Option) store.Store, flavour string, opts func(store.Store, *aistep.Options)) *harness {
	t.Helper()
	fake := aifake.New(flavour, "sk-test")
	t.Cleanup(fake.Close)
	kr, err := secret.NewKeyring(bytes.Repeat([]byte{5}, 32))
	require.NoError(t, err)
	f, err := ai.NewFactory(ai.NetOptions{Allow: []string{"127.0.0.1"}, AnyPort: true})
	require.NoError(t, err)
	workers := river.NewWorkers()
	st := open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	h := &harness{st: st, svc: ai.NewService(kr, f), fake: fake, flavour: flavour}
	ctx := context.Background()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
		h.tenant = tn.ID
		return err
	}))
	o := aistep.Options{CallTimeout: 5 * time.Second}
	if opts != nil {
		opts(st, &o)
	}
	h.eng = engine.New(st, engine.Options{SideEffects: aistep.All(st, h.svc, o)})
	h.eng.RegisterWorkers(workers)
	require.NoError(t, st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = st.Queue().Stop(ctx)
		h.eng.Close()
	})
	return h
}

func (h *harness) configure(t *testing.T, budget int64) {
	t.Helper()
	ctx := context.Background()
	key := "sk-test"
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		in := ai.SettingsInput{Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini",
			BaseURL: h.fake.BaseURL, APIKey: &key, MonthlyTokenBudget: budget}
		if h.flavour == aifake.Anthropic {
			in.Provider, in.Model = ai.ProviderAnthropic, "claude-haiku-4-5"
		}
		if h.redact != nil {
			h.redact(&in)
		}
		_, err := h.svc.SaveTx(ctx, tx, h.tenant, in, nil)
		return err
	}))
}

// run publishes trigger.manual → ai.generate → end and runs it to its end.
func (h *harness) run(t *testing.T, config string) (*domain.Execution, *domain.Step) {
	t.Helper()
	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{},"position":{"x":0,"y":0}},
	 {"id":"gen","type":%q,"config":%s,"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"gen"},{"id":"e2","source":"gen","target":"done"}]}`,
		workflow.TypeTriggerManual, workflow.TypeAIGenerate, config)
	exec, steps := h.runDef(t, def, `{"name":"Ada"}`)
	for i := range steps {
		if steps[i].NodeID == "gen" {
			return exec, &steps[i]
		}
	}
	t.Fatalf("no gen step in %+v", steps)
	return nil, nil
}

// publish stores def as the tenant's published, active workflow.
func (h *harness) publish(t *testing.T, def string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	wfID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: wfID, Name: "wf", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, h.tenant, wfID, true)
		return err
	}))
	return wfID
}

// runDef publishes def, starts it by hand with input and runs it to its
// end; it returns the execution and its steps.
func (h *harness) runDef(t *testing.T, def, input string) (*domain.Execution, []domain.Step) {
	t.Helper()
	ctx := context.Background()
	wfID := h.publish(t, def)
	exec, err := h.eng.Start(ctx, engine.StartParams{TenantID: h.tenant, WorkflowID: wfID, TriggerType: workflow.TypeTriggerManual,
		Input: json.RawMessage(input)})
	require.NoError(t, err)
	return h.wait(t, exec)
}

// wait waits for exec to end and returns it with its steps.
func (h *harness) wait(t *testing.T, exec *domain.Execution) (*domain.Execution, []domain.Step) {
	t.Helper()
	ctx := context.Background()
	var steps []domain.Step
	require.Eventually(t, func() bool {
		require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
			var err error
			if exec, err = tx.ExecutionGetByID(ctx, h.tenant, exec.ID); err != nil {
				return err
			}
			steps, err = tx.StepListByExecution(ctx, h.tenant, exec.ID)
			return err
		}))
		return exec.Status.Terminal()
	}, 30*time.Second, 20*time.Millisecond)
	return exec, steps
}

func (h *harness) usage(t *testing.T) []domain.AIUsageTotal {
	t.Helper()
	ctx := context.Background()
	var out []domain.AIUsageTotal
	from, to := ai.MonthOf(time.Now())
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		var err error
		out, err = tx.AIUsageTotals(ctx, h.tenant, from, to)
		return err
	}))
	return out
}

const genConfig = `{"system":"Be brief.","prompt":"Write a greeting for {{ trigger.input.name }}","maxAttempts":3}`

func TestGenerateWritesTextAndUsage(t *testing.T) {
	t.Parallel()
	testGenerateWritesTextAndUsage(t, setup(t))
}

func TestGenerateWritesTextAndUsagePostgres(t *testing.T) {
	t.Parallel()
	testGenerateWritesTextAndUsage(t, setupOn(t, storetest.Postgres))
}

func testGenerateWritesTextAndUsage(t *testing.T, h *harness) {
	h.configure(t, 0)
	h.fake.Enqueue(aifake.Reply{Text: "Hello Ada!", TokensIn: 20, TokensOut: 4})
	exec, st := h.run(t, genConfig)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, st.Error)
	var out aistep.Output
	require.NoError(t, json.Unmarshal(st.Output, &out), string(st.Output))
	require.Equal(t, "Hello Ada!", out.Text)
	require.Equal(t, int64(20), out.TokensIn)
	require.Equal(t, int64(4), out.TokensOut)
	require.Contains(t, out.Prompt, "greeting for Ada")
	require.Equal(t, 1, h.fake.Calls())
	require.Equal(t, "Write a greeting for Ada", aifake.LastUserText(h.fake.Requests()[0]))
	require.NotContains(t, string(st.Output), "sk-test")
	u := h.usage(t)
	require.Len(t, u, 1)
	require.Equal(t, int64(1), u[0].Calls)
	require.Equal(t, int64(20), u[0].TokensIn)
	require.Equal(t, int64(4), u[0].TokensOut)
}

func TestGenerateNotConfiguredFails(t *testing.T) {
	t.Parallel()
	h := setup(t)
	exec, st := h.run(t, genConfig)
	require.Equal(t, domain.ExecutionFailed, exec.Status)
	require.Contains(t, st.Error+exec.Error, "AI is not configured for this workspace")
	require.Zero(t, h.fake.Calls())
}

func TestGenerateOverBudgetMakesNoCall(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.configure(t, 10)
	ctx := context.Background()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		_, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: h.tenant, Kind: workflow.TypeAIGenerate,
			Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini", Calls: 1, TokensIn: 8, TokensOut: 4})
		return err
	}))
	exec, st := h.run(t, genConfig)
	require.Equal(t, domain.ExecutionFailed, exec.Status)
	require.Contains(t, st.Error+exec.Error, "monthly AI token budget of 10 exceeded")
	require.Zero(t, h.fake.Calls(), "no provider call over budget")
}

func TestGenerateRetriesA500(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.configure(t, 0)
	h.fake.Enqueue(aifake.Reply{Status: 500, Text: "boom"}, aifake.Reply{Text: "Second time lucky"})
	exec, st := h.run(t, genConfig)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, st.Error)
	require.Contains(t, string(st.Output), "Second time lucky")
	require.Equal(t, 2, h.fake.Calls())
	require.Len(t, h.usage(t), 1)
}

// TestStepInputIsRedacted: the step detail (the step's input, a test
// run's preview) shows an AI step's request with the named fields' values
// and, when asked, emails and phone numbers blanked, and without the list
// of values to blank; the provider still gets the prompt as written.
func TestStepInputIsRedacted(t *testing.T) {
	t.Parallel()
	h := setup(t)
	h.redact = func(in *ai.SettingsInput) { in.RedactFields, in.RedactPII = []string{"iban"}, true }
	h.configure(t, 0)
	h.fake.Enqueue(aifake.Reply{Text: "Done.", TokensIn: 20, TokensOut: 2})
	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{},"position":{"x":0,"y":0}},
	 {"id":"gen","type":%q,"config":{"system":"Customer {{ trigger.input.email }}","prompt":"Refund to {{ trigger.input.iban }}, call +49 151 1234 5678"},"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"gen"},{"id":"e2","source":"gen","target":"done"}]}`,
		workflow.TypeTriggerManual, workflow.TypeAIGenerate)
	exec, steps := h.runDef(t, def, `{"email":"ada@example.org","iban":"DE89 3704 0044 0532 0130 00"}`)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	var gen *domain.Step
	for i := range steps {
		if steps[i].NodeID == "gen" {
			gen = &steps[i]
		}
	}
	require.NotNil(t, gen)
	for _, secretText := range []string{"ada@example.org", "DE89 3704", "1234 5678", "redactValues"} {
		require.NotContains(t, string(gen.Input), secretText, "step input %s", gen.Input)
		require.NotContains(t, string(gen.Output), secretText, "step output %s", gen.Output)
	}
	var in map[string]any
	require.NoError(t, json.Unmarshal(gen.Input, &in))
	require.Equal(t, "Refund to [redacted], call [redacted]", in["prompt"])
	require.Equal(t, "Customer [redacted]", in["system"])
	require.Equal(t, []any{"iban"}, in["redactFields"], "what is blanked is named, not its values")
	require.Contains(t, aifake.LastUserText(h.fake.Requests()[0]), "DE89 3704 0044 0532 0130 00", "the provider gets the prompt as written")

	// A test run's preview of the node shows the same.
	prev, err := h.eng.PreviewStep(context.Background(), engine.PreviewParams{TenantID: h.tenant, Definition: json.RawMessage(def), NodeID: "gen",
		Input: json.RawMessage(`{"email":"ada@example.org","iban":"DE89 3704 0044 0532 0130 00"}`)})
	require.NoError(t, err)
	shown, _ := json.Marshal(prev.Input)
	require.NotContains(t, string(shown), "DE89 3704")
	require.NotContains(t, string(shown), "ada@example.org")
}

// The plan's monthly AI tokens (FREE: 100,000): a step when the month's
// tokens have reached the ceiling fails with the limit and makes no call,
// though the workspace set no budget of its own; one token below, it runs.
func TestGeneratePastThePlanTokensMakesNoCall(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB, ...storetest.Option) store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := setupOpts(t, open, aifake.OpenAI, func(st store.Store, o *aistep.Options) {
				o.PlanTokens = usage.New(st, usage.Options{}).AITokens
			})
			h.configure(t, 0)
			free, _ := plan.For(domain.PlanFree)
			ctx := context.Background()
			use := func(tokens int64) {
				require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
					_, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: h.tenant, Kind: workflow.TypeAIGenerate,
						Provider: ai.ProviderOpenAI, Model: "gpt-4o-mini", Calls: 1, TokensIn: tokens})
					return err
				}))
			}
			use(int64(free.AITokensPerMonth) - 1_000)
			exec, _ := h.run(t, genConfig)
			require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
			require.Equal(t, 1, h.fake.Calls())

			use(1_000)
			exec, st := h.run(t, genConfig)
			require.Equal(t, domain.ExecutionFailed, exec.Status)
			require.Contains(t, st.Error+exec.Error, fmt.Sprintf("plan FREE limit aiTokensPerMonth is %d", free.AITokensPerMonth))
			require.Equal(t, 1, h.fake.Calls(), "no provider call past the plan")
		})
	}
}
