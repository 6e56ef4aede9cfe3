// Package aistep is the AI nodes, as engine side effects: ai.generate (a
// Liquid prompt rendered with the execution context → text), ai.classify
// (text → one of the node's labels, whose handle the execution follows)
// and ai.extract (text → an object valid against the node's JSON Schema).
// Each goes through the engine's outbox (retries by the node's policy,
// idempotency, crash safety); each checks the workspace's monthly budget
// before any call and records one ai_usage row per outcome. What a step
// records (prompt, answer) is bounded and redacted by the workspace's
// settings (ai.Redactor); what is sent to the provider is not.
package aistep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Bounds of a step.
const (
	// MaxPromptChars bounds a rendered prompt (and system prompt).
	MaxPromptChars = 32 << 10
	// MaxTextChars bounds the generated text kept in the output.
	MaxTextChars = 16 << 10
	// maxOutputPromptChars bounds the prompt echoed in the output.
	maxOutputPromptChars = 4 << 10
	// defaultMaxTokens is the node's default (its config schema's).
	defaultMaxTokens = 256
)

// ErrNotConfigured is the failure of a step in a workspace without AI
// settings.
var ErrNotConfigured = errors.New("AI is not configured for this workspace (Settings → AI)")

// Options configure the side effects.
type Options struct {
	// Templates renders prompts (a bounded engine when nil).
	Templates *tmpl.Engine
	// CallTimeout bounds one provider call (ai.DefaultCallTimeout when 0).
	CallTimeout time.Duration
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
	// PlanTokens, when set, is checked in the step's transaction before
	// any provider call (usage.Meter.AITokens): a *plan.LimitError (the
	// month's tokens have reached the plan's ceiling) fails the step for
	// good, like the workspace's own budget; another error is retried.
	PlanTokens func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error
}

func (o Options) withDefaults() Options {
	if o.Templates == nil {
		o.Templates = tmpl.New(tmpl.Options{MaxOutputBytes: MaxPromptChars * 4})
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = ai.DefaultCallTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// All returns the three AI side effects over the store and the settings
// service, for engine.Options.SideEffects.
func All(st store.Store, svc *ai.Service, opts Options) []engine.SideEffect {
	return []engine.SideEffect{New(st, svc, opts), NewClassify(st, svc, opts), NewExtract(st, svc, opts)}
}

// Generate implements ai.generate as an engine side effect and records
// usage as an engine.EffectRecorder.
type Generate struct{ core }

// New builds the ai.generate side effect over the store and the settings
// service.
func New(st store.Store, svc *ai.Service, opts Options) *Generate {
	return &Generate{core{st: st, svc: svc, opts: opts.withDefaults(), kind: workflow.TypeAIGenerate}}
}

var (
	_ engine.SideEffect     = (*Generate)(nil)
	_ engine.EffectRecorder = (*Generate)(nil)
)

// Kind is ai.generate.
func (g *Generate) Kind() string { return workflow.TypeAIGenerate }

// config is the node's config (see workflow's ai.generate schema).
type config struct {
	Model       string   `json:"model"`
	System      string   `json:"system"`
	Prompt      string   `json:"prompt"`
	MaxTokens   int      `json:"maxTokens"`
	Temperature *float64 `json:"temperature"`
}

// request is what Prepare stores in the outbox: never the API key.
type request struct {
	base
	System string `json:"system,omitempty"`
	Prompt string `json:"prompt"`
}

// Output is ai.generate's output.
type Output struct {
	Text string `json:"text"`
	Usage
	// Prompt is the prompt sent, bounded and redacted.
	Prompt    string `json:"prompt"`
	Truncated bool   `json:"truncated,omitempty"`
}

// Prepare reads the workspace's settings, checks the month's budget and
// renders the prompt. It makes no call.
func (g *Generate) Prepare(ctx context.Context, in engine.PrepareInput) (json.RawMessage, error) {
	var cfg config
	if err := json.Unmarshal(in.Config, &cfg); err != nil {
		return nil, engine.Permanent(fmt.Errorf("ai.generate config: %w", err))
	}
	if strings.TrimSpace(cfg.Prompt) == "" {
		return nil, engine.Permanent(errors.New("ai.generate: prompt is required"))
	}
	b, err := g.prepare(ctx, in, cfg.Model, cfg.MaxTokens, defaultMaxTokens, cfg.Temperature)
	if err != nil {
		return nil, err
	}
	req := request{base: b}
	if req.Prompt, err = g.render(ctx, "prompt", cfg.Prompt, in.Data); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return nil, engine.Permanent(errors.New("ai.generate: the prompt renders empty"))
	}
	if req.System, err = g.render(ctx, "system", cfg.System, in.Data); err != nil {
		return nil, err
	}
	out, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ai.generate: encode the request: %w", err)
	}
	return out, nil
}

// Perform opens the workspace's provider (its key through the settings
// service) and makes the call.
func (g *Generate) Perform(ctx context.Context, er engine.EffectRequest) (json.RawMessage, error) {
	var req request
	if err := json.Unmarshal(er.Request, &req); err != nil {
		return nil, engine.Permanent(fmt.Errorf("ai.generate: decode the request: %w", err))
	}
	p, provider, err := g.provider(ctx, er.TenantID)
	if err != nil {
		return nil, err
	}
	req.Provider = provider // the settings may have changed since Prepare
	res, err := g.complete(ctx, er, p, ai.Request{Model: req.Model, System: req.System,
		Messages: []ai.Message{{Role: ai.RoleUser, Content: req.Prompt}}, MaxTokens: req.MaxTokens, Temperature: req.Temperature})
	if err != nil {
		return nil, g.callError(err, nil)
	}
	red := req.redactor()
	out := Output{Text: res.Text, Prompt: red.Redact(clip(req.Prompt, maxOutputPromptChars)), Usage: Usage{Model: req.Model}}
	out.add(res)
	if utf8.RuneCountInString(out.Text) > MaxTextChars {
		out.Text, out.Truncated = clip(out.Text, MaxTextChars), true
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("ai.generate: encode the output: %w", err))
	}
	return b, nil
}

// RecordResult writes the step's usage row in the transaction that
// records the outcome. A failed call consumed no tokens the provider
// reports, so it records nothing.
func (g *Generate) RecordResult(ctx context.Context, tx store.Tx, res engine.EffectResult) error {
	return g.recordUsage(ctx, tx, res)
}

// clip bounds s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
