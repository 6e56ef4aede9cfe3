package ai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Bounds of a workflow draft.
const (
	// MaxDraftPromptChars bounds the description a draft is asked for.
	MaxDraftPromptChars = 4000
	// MaxDraftRepairs bounds the answers sent back with their validation
	// problems: at most 1+MaxDraftRepairs calls per draft.
	MaxDraftRepairs = 2
	// maxDraftProblems bounds the problems fed back or returned.
	maxDraftProblems = 30
	draftMaxTokens   = 8192
	// KindWorkflowDraft is the usage kind of a draft.
	KindWorkflowDraft = "workflow.draft"
)

// DraftInvalidError is a draft that did not pass validation after the
// bounded repairs: the last definition's problems.
type DraftInvalidError struct {
	Problems []workflow.Problem
	Calls    int
}

// Error says how many answers were tried.
func (e *DraftInvalidError) Error() string {
	return fmt.Sprintf("the model's draft did not pass validation after %d answers (%d problems)", e.Calls, len(e.Problems))
}

// Draft is a workflow definition a model drafted and validation passed:
// never saved, for a person to review.
type Draft struct {
	Definition  json.RawMessage
	Explanation string
	Model       string
	Calls       int
	TokensIn    int64
	TokensOut   int64
}

// DraftRequest asks for a draft.
type DraftRequest struct {
	TenantID uuid.UUID
	Prompt   string
	// Registry validates the draft (workflow.Default() when nil) and its
	// node types are shown to the model.
	Registry *workflow.Registry
	// Limits bound the definition (workflow.DefaultLimits() when zero).
	Limits workflow.Limits
	// Now is the clock for the budget and usage (time.Now when nil).
	Now func() time.Time
	// CallTimeout bounds each call (DefaultCallTimeout when 0).
	CallTimeout time.Duration
}

// draftAnswerSchema is the structured output a draft asks for.
var draftAnswerSchema = json.RawMessage(`{"type":"object","properties":{
 "explanation":{"type":"string","description":"Two or three sentences on what the journey does."},
 "definition":{"type":"object","description":"The workflow definition: nodes and edges.","properties":{
   "nodes":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"type":{"type":"string"},"label":{"type":"string"},"config":{"type":"object"},"position":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}}}},"required":["id","type","config"]}},
   "edges":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"source":{"type":"string"},"target":{"type":"string"},"sourceHandle":{"type":"string"}},"required":["id","source","target"]}}},
  "required":["nodes","edges"]}},
 "required":["explanation","definition"]}`)

// draftSystem is the system prompt: the task and the node registry.
func draftSystem(reg *workflow.Registry) string {
	var b strings.Builder
	b.WriteString(`You draft customer-journey workflows for NextFlow. A workflow is {"nodes": [...], "edges": [...]}.
Each node: {"id": short unique id, "type": one of the node types below, "label": optional, "config": an object valid against the type's configSchema, "position": {"x", "y"} (lay nodes out top to bottom, 150 apart)}.
Each edge: {"id", "source": node id, "target": node id, "sourceHandle": the source's output handle when it has several (e.g. "true"/"false" of a condition, a label of ai.classify, "other", "error")}.
Start with exactly one trigger node; end every path with an "end" node. Templates use Liquid ({{ contact.email }}, {{ trigger.event.properties.x }}, {{ steps.<id>.output.x }}); conditions are CEL expressions.
Reply with JSON only: {"explanation": "...", "definition": {...}}.

Node types:
`)
	for _, nt := range reg.All() {
		outs := make([]string, 0, len(nt.Outputs))
		for _, h := range nt.Outputs {
			outs = append(outs, h.ID)
		}
		if nt.DynamicOutputsFrom != nil {
			outs = append(outs, "<one per "+nt.DynamicOutputsFrom.Pointer+">")
			for _, h := range nt.DynamicOutputsFrom.Extra {
				outs = append(outs, h.ID)
			}
		}
		if nt.CanFail {
			outs = append(outs, workflow.ErrorHandle)
		}
		fmt.Fprintf(&b, "- %s (%s): %s Outputs: %s. configSchema: %s\n", nt.Type, nt.Label, nt.Description,
			strings.Join(outs, ", "), compactJSON(nt.ConfigSchema))
	}
	return b.String()
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// draftAnswer is a model's decoded answer.
type draftAnswer struct {
	Explanation string          `json:"explanation"`
	Definition  json.RawMessage `json:"definition"`
}

// checkDraft reads an answer: the definition and explanation, or the
// problems to send back.
func checkDraft(res *Response, reg *workflow.Registry, limits workflow.Limits) (*draftAnswer, []workflow.Problem) {
	if res.FinishReason == "length" || res.FinishReason == "max_tokens" {
		return nil, []workflow.Problem{{Code: "truncated", Message: "the answer was cut off: draft a smaller workflow"}}
	}
	var a draftAnswer
	if err := DecodeJSONAnswer(res.Text, &a); err != nil || len(a.Definition) == 0 {
		return nil, []workflow.Problem{{Code: "not_json", Message: `the answer is not a JSON object with "explanation" and "definition"`}}
	}
	_, problems, err := reg.DecodeAndValidate(a.Definition, limits)
	if err != nil {
		return nil, []workflow.Problem{{Code: "malformed", Message: clip(err.Error(), 500)}}
	}
	if len(problems) > 0 {
		return nil, problems[:min(len(problems), maxDraftProblems)]
	}
	return &a, nil
}

// Draft asks the workspace's provider for a workflow definition from a
// plain-language description, validates it as publishing would, and
// sends the problems back for repair at most MaxDraftRepairs times. The
// budget is checked before the first call and the calls' usage is
// recorded (also when no valid draft came). Nothing is saved: the caller
// shows the draft to a person. A draft still invalid is a
// *DraftInvalidError; a budget reached a *BudgetError; no settings
// ErrNotConfigured; a provider failure an *Error.
func (s *Service) Draft(ctx context.Context, st store.Store, in DraftRequest) (*Draft, error) {
	in.Prompt = strings.TrimSpace(in.Prompt)
	if in.Prompt == "" || utf8.RuneCountInString(in.Prompt) > MaxDraftPromptChars {
		return nil, &InvalidError{Field: "prompt", Message: fmt.Sprintf("must be 1 to %d characters", MaxDraftPromptChars)}
	}
	if in.Registry == nil {
		in.Registry = workflow.Default()
	}
	if in.Limits == (workflow.Limits{}) {
		in.Limits = workflow.DefaultLimits()
	}
	if in.Now == nil {
		in.Now = time.Now
	}
	if in.CallTimeout <= 0 {
		in.CallTimeout = DefaultCallTimeout
	}
	var settings *domain.AISettings
	err := st.Read(ctx, in.TenantID, func(tx store.Tx) error {
		var err error
		if settings, err = tx.AISettingsGet(ctx, in.TenantID); err != nil {
			return err
		}
		return CheckBudget(ctx, tx, settings, in.Now())
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotConfigured
	}
	if err != nil {
		return nil, err
	}
	p, err := s.Provider(settings)
	if err != nil {
		return nil, err
	}
	req := Request{Model: settings.Model, System: draftSystem(in.Registry), MaxTokens: draftMaxTokens,
		Messages: []Message{{Role: RoleUser, Content: in.Prompt}}, Schema: draftAnswerSchema, SchemaName: "workflow_draft"}
	d := &Draft{Model: settings.Model}
	var problems []workflow.Problem
	var callErr error
	for range 1 + MaxDraftRepairs {
		cctx, cancel := context.WithTimeout(ctx, in.CallTimeout)
		res, err := p.Complete(cctx, req)
		cancel()
		if err != nil {
			callErr = err
			break
		}
		d.Calls++
		d.TokensIn += res.TokensIn
		d.TokensOut += res.TokensOut
		if res.Model != "" {
			d.Model = res.Model
		}
		var a *draftAnswer
		if a, problems = checkDraft(res, in.Registry, in.Limits); a != nil {
			d.Definition, d.Explanation = a.Definition, clip(strings.TrimSpace(a.Explanation), 2000)
			break
		}
		fb, _ := json.Marshal(problems)
		req.Messages = append(req.Messages, Message{Role: RoleAssistant, Content: clip(res.Text, 64<<10)},
			Message{Role: RoleUser, Content: "That draft does not pass validation. Fix these problems and answer again with the whole JSON: " + string(fb)})
	}
	if d.Calls > 0 {
		if err := st.InTx(ctx, in.TenantID, func(tx store.Tx) error {
			_, err := tx.AIUsageInsert(ctx, &store.AIUsageInsertParams{TenantID: in.TenantID, NodeID: "", Kind: KindWorkflowDraft,
				Provider: settings.Provider, Model: d.Model, Calls: d.Calls, TokensIn: d.TokensIn, TokensOut: d.TokensOut,
				CostMicroUSD: EstimateCost(settings.Provider, d.Model, d.TokensIn, d.TokensOut), CreatedAt: in.Now()})
			return err
		}); err != nil {
			return nil, fmt.Errorf("record the draft's AI usage: %w", err)
		}
	}
	switch {
	case callErr != nil:
		return nil, callErr
	case d.Definition == nil:
		return nil, &DraftInvalidError{Problems: problems, Calls: d.Calls}
	}
	return d, nil
}
