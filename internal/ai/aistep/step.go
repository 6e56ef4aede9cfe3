package aistep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Bounds shared by the AI steps.
const (
	// MaxInvalidAnswers bounds the answers of ai.classify and ai.extract
	// refused (not JSON, outside the schema) and asked again within one
	// attempt: at most 1+MaxInvalidAnswers calls per attempt, then the
	// step fails for good (its error handle).
	MaxInvalidAnswers = 2
	// maxRecordedChars bounds each prompt or answer recorded in a step's
	// output.
	maxRecordedChars = 4 << 10
)

// core is what the AI steps share: the workspace's settings and budget at
// Prepare, its provider at Perform, one usage row per outcome.
type core struct {
	st   store.Store
	svc  *ai.Service
	opts Options
	kind string
}

// base is the part of every AI step's stored request that is not the
// prompt: never the API key.
type base struct {
	Provider    string   `json:"provider"`
	Model       string   `json:"model"`
	MaxTokens   int      `json:"maxTokens"`
	Temperature *float64 `json:"temperature,omitempty"`
	// Redact* rebuild the ai.Redactor for what is recorded.
	RedactFields []string `json:"redactFields,omitempty"`
	RedactValues []string `json:"redactValues,omitempty"`
	RedactPII    bool     `json:"redactPII,omitempty"`
}

func (b *base) redactor() *ai.Redactor {
	return ai.RedactorOf(b.RedactFields, b.RedactValues, b.RedactPII)
}

// StepInput implements engine.EffectStepInput: the step detail shows the
// stored request with the prompt's fields redacted as the workspace asked
// (named fields' values, emails and phone numbers) and without the list
// of values to blank; the outbox keeps the request as it is sent.
func (c *core) StepInput(request json.RawMessage) json.RawMessage {
	var b base
	var m map[string]any
	if json.Unmarshal(request, &b) != nil || json.Unmarshal(request, &m) != nil {
		return json.RawMessage(`{"redacted":"the request could not be read"}`)
	}
	delete(m, "redactValues")
	red := b.redactor()
	for _, k := range []string{"prompt", "system", "input", "instructions"} {
		if s, ok := m[k].(string); ok {
			m[k] = red.Redact(s)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`{"redacted":"the request could not be read"}`)
	}
	return out
}

// Usage is what a step's calls cost, as kept in its output.
type Usage struct {
	Model     string `json:"model"`
	TokensIn  int64  `json:"tokensIn"`
	TokensOut int64  `json:"tokensOut"`
	LatencyMS int64  `json:"latencyMs"`
	// Calls is the number of provider calls of the attempt (a refused
	// answer asked again is one more).
	Calls int `json:"calls,omitempty"`
}

func (u *Usage) add(res *ai.Response) {
	u.TokensIn += res.TokensIn
	u.TokensOut += res.TokensOut
	u.LatencyMS += res.Latency.Milliseconds()
	u.Calls++
	if res.Model != "" {
		u.Model = res.Model
	}
}

// prepare reads the workspace's settings and checks the month's budget
// (no call is made over budget), returning the request's base.
func (c *core) prepare(ctx context.Context, in engine.PrepareInput, model string, maxTokens, defaultMax int, temp *float64) (base, error) {
	st, err := in.Tx.AISettingsGet(ctx, in.TenantID)
	if errors.Is(err, store.ErrNotFound) {
		return base{}, engine.Permanent(ErrNotConfigured)
	}
	if err != nil {
		return base{}, fmt.Errorf("%s: read the AI settings: %w", c.kind, err)
	}
	if err := ai.CheckBudget(ctx, in.Tx, st, c.opts.Now()); err != nil {
		var be *ai.BudgetError
		if errors.As(err, &be) {
			return base{}, engine.Permanent(be)
		}
		return base{}, fmt.Errorf("%s: %w", c.kind, err)
	}
	if c.opts.PlanTokens != nil {
		if err := c.opts.PlanTokens(ctx, in.Tx, in.TenantID); err != nil {
			var le *plan.LimitError
			if errors.As(err, &le) {
				return base{}, engine.Permanent(le)
			}
			return base{}, fmt.Errorf("%s: plan's AI tokens: %w", c.kind, err)
		}
	}
	b := base{Provider: st.Provider, Model: strings.TrimSpace(model), Temperature: temp, MaxTokens: maxTokens}
	if b.Model == "" {
		b.Model = st.Model
	}
	if b.MaxTokens <= 0 {
		b.MaxTokens = defaultMax
	}
	b.MaxTokens = min(b.MaxTokens, ai.MaxTokensLimit)
	r := ai.NewRedactor(st.RedactFields, in.Data, st.RedactPII)
	b.RedactFields, b.RedactValues, b.RedactPII = st.RedactFields, r.Values(), st.RedactPII
	return b, nil
}

// render renders one template field, bounded.
func (c *core) render(ctx context.Context, field, src string, data map[string]any) (string, error) {
	if src == "" {
		return "", nil
	}
	out, err := c.opts.Templates.Render(ctx, src, data)
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", engine.Permanent(fmt.Errorf("%s: %s: render template: %w", c.kind, field, err))
	}
	if utf8.RuneCountInString(out) > MaxPromptChars {
		return "", engine.Permanent(fmt.Errorf("%s: %s renders to more than %d characters", c.kind, field, MaxPromptChars))
	}
	return out, nil
}

// provider opens the provider the workspace's settings name now.
func (c *core) provider(ctx context.Context, tenantID uuid.UUID) (ai.Provider, string, error) {
	var st *domain.AISettings
	err := c.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		st, err = tx.AISettingsGet(ctx, tenantID)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", engine.Permanent(ErrNotConfigured)
	}
	if err != nil {
		return nil, "", engine.Retryable(fmt.Errorf("%s: read the AI settings: %w", c.kind, err))
	}
	p, err := c.svc.Provider(st)
	if err != nil {
		return nil, "", engine.Permanent(fmt.Errorf("%s: %w", c.kind, err))
	}
	return p, st.Provider, nil
}

// complete makes one bounded call.
func (c *core) complete(ctx context.Context, er engine.EffectRequest, p ai.Provider, req ai.Request) (*ai.Response, error) {
	cctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	res, err := p.Complete(cctx, req)
	if err != nil {
		c.opts.Logger.WarnContext(ctx, c.kind+" call failed", "tenant", er.TenantID, "execution", er.ExecutionID,
			"node", er.NodeID, "attempt", er.Attempt, "retryable", ai.IsRetryable(err), "err", err)
		return nil, err
	}
	return res, nil
}

// callError is a failed call as the engine's retry policy wants it (429,
// 5xx and timeouts retried, other 4xx not), with the output so far (the
// tokens already spent are recorded).
func (c *core) callError(err error, output any) error {
	var out json.RawMessage
	if output != nil {
		out, _ = json.Marshal(output)
	}
	return &engine.EffectError{Err: fmt.Errorf("%s: %w", c.kind, err), Retryable: ai.IsRetryable(err), Output: out}
}

// invalidError is the failure of a step whose answers stayed invalid.
func (c *core) invalidError(calls int, problem string, output any) error {
	out, _ := json.Marshal(output)
	return &engine.EffectError{Err: fmt.Errorf("%s: no valid answer after %d calls: %s", c.kind, calls, problem), Output: out}
}

// converse asks the model, checks the answer with check ("" when valid),
// and feeds the problem back, at most 1+MaxInvalidAnswers calls. It
// returns the last response, whether it was valid, the refused answers
// (redacted, bounded) and what the calls cost.
func (c *core) converse(ctx context.Context, er engine.EffectRequest, p ai.Provider, req ai.Request, red *ai.Redactor,
	check func(*ai.Response) string) (res *ai.Response, problem string, refused []string, u Usage, err error) {
	u.Model = req.Model
	for range 1 + MaxInvalidAnswers {
		res, err = c.complete(ctx, er, p, req)
		if err != nil {
			return nil, "", refused, u, err
		}
		u.add(res)
		if problem = check(res); problem == "" {
			return res, "", refused, u, nil
		}
		refused = append(refused, clip(red.Redact(res.Text), maxRecordedChars/4))
		c.opts.Logger.InfoContext(ctx, c.kind+" answer refused", "tenant", er.TenantID, "execution", er.ExecutionID,
			"node", er.NodeID, "problem", clip(red.Redact(problem), 300))
		req.Messages = append(req.Messages,
			ai.Message{Role: ai.RoleAssistant, Content: clip(res.Text, MaxPromptChars)},
			ai.Message{Role: ai.RoleUser, Content: "That answer is not valid: " + problem + ". Answer again, with JSON only."})
	}
	return res, problem, refused, u, nil
}

// recordUsage writes the outcome's usage row when its output reports
// calls or tokens (a failed call reports none: nothing is written).
func (c *core) recordUsage(ctx context.Context, tx store.Tx, res engine.EffectResult) error {
	if len(res.Output) == 0 {
		return nil
	}
	var b base
	if err := json.Unmarshal(res.Request, &b); err != nil {
		return fmt.Errorf("%s usage: decode the request: %w", c.kind, err)
	}
	var u Usage
	if err := json.Unmarshal(res.Output, &u); err != nil {
		return fmt.Errorf("%s usage: decode the output: %w", c.kind, err)
	}
	if u.Calls == 0 && u.TokensIn == 0 && u.TokensOut == 0 {
		return nil
	}
	if u.Model == "" {
		u.Model = b.Model
	}
	calls := u.Calls
	if calls == 0 {
		calls = max(res.Calls, 1)
	}
	exec, step := res.ExecutionID, res.StepID
	if _, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: res.TenantID, ExecutionID: &exec, StepID: &step,
		NodeID: res.NodeID, Kind: c.kind, Provider: b.Provider, Model: u.Model, Calls: calls,
		TokensIn: u.TokensIn, TokensOut: u.TokensOut, LatencyMS: u.LatencyMS,
		CostMicroUSD: ai.EstimateCost(b.Provider, u.Model, u.TokensIn, u.TokensOut), CreatedAt: c.opts.Now()}); err != nil {
		return fmt.Errorf("%s usage: %w", c.kind, err)
	}
	return nil
}

// contactID is the execution's contact in the context, if any.
func contactID(data map[string]any) *uuid.UUID {
	c, _ := data["contact"].(map[string]any)
	s, _ := c["id"].(string)
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}
