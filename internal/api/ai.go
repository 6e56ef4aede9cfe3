package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// AIRoutes serves the workspace AI settings and usage operations. The app
// registers it through Deps.Hooks.
type AIRoutes struct {
	Store  store.Store
	AI     *ai.Service
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Registry validates drafts and is shown to the model
	// (workflow.Default() when nil).
	Registry *workflow.Registry
}

// AISettingsDTO is a workspace's AI settings as the API shows them: never
// the API key, only whether one is stored.
type AISettingsDTO struct {
	Configured         bool       `json:"configured" doc:"False until the workspace saves its AI settings; AI steps fail until then"`
	Provider           string     `json:"provider" enum:"openai,anthropic,local,"`
	Model              string     `json:"model"`
	BaseURL            string     `json:"baseUrl" doc:"The provider's base URL (empty: its public endpoint)"`
	HasAPIKey          bool       `json:"hasApiKey" doc:"Whether an API key is stored (the key is never returned)"`
	MonthlyTokenBudget int64      `json:"monthlyTokenBudget" doc:"Tokens in + out per calendar month (UTC); 0: no budget"`
	RedactFields       []string   `json:"redactFields" doc:"Fields blanked from recorded prompts and responses"`
	RedactPII          bool       `json:"redactPii" doc:"Email addresses and phone numbers are blanked from recorded prompts and responses"`
	UpdatedAt          *time.Time `json:"updatedAt,omitempty"`
}

func aiSettingsDTO(s *domain.AISettings) AISettingsDTO {
	if s == nil {
		return AISettingsDTO{RedactFields: []string{}}
	}
	rf := s.RedactFields
	if rf == nil {
		rf = []string{}
	}
	at := s.UpdatedAt
	return AISettingsDTO{Configured: true, Provider: s.Provider, Model: s.Model, BaseURL: s.BaseURL, HasAPIKey: s.HasAPIKey(),
		MonthlyTokenBudget: s.MonthlyTokenBudget, RedactFields: rf, RedactPII: s.RedactPII, UpdatedAt: &at}
}

// AISettingsUpdateDTO is a workspace's new AI settings.
type AISettingsUpdateDTO struct {
	Provider           string   `json:"provider" enum:"openai,anthropic,local"`
	Model              string   `json:"model,omitempty" maxLength:"200" doc:"Required except for the local provider"`
	BaseURL            string   `json:"baseUrl,omitempty" maxLength:"2048" doc:"An OpenAI-compatible or Anthropic base URL; empty for the public endpoint"`
	APIKey             *string  `json:"apiKey,omitempty" maxLength:"4096" writeOnly:"true" doc:"Write-only. Omitted: keep the stored key; empty: remove it"`
	MonthlyTokenBudget int64    `json:"monthlyTokenBudget,omitempty" minimum:"0" doc:"Tokens in + out per calendar month (UTC); 0: no budget"`
	RedactFields       []string `json:"redactFields,omitempty" maxItems:"100" doc:"Field names blanked from recorded prompts and responses"`
	RedactPII          bool     `json:"redactPii,omitempty" doc:"Blank email addresses and phone numbers from recorded prompts and responses"`
}

// AISettingsUpdateInput carries new AI settings.
type AISettingsUpdateInput struct {
	Body AISettingsUpdateDTO
}

// AISettingsOutput is the workspace's AI settings, never cached.
type AISettingsOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         AISettingsDTO
}

// AIUsageInput names the month of a usage report.
type AIUsageInput struct {
	Month string `query:"month" pattern:"^[0-9]{4}-(0[1-9]|1[0-2])$" doc:"YYYY-MM (UTC); default: the current month"`
}

// AIUsageModelDTO is one provider and model's usage in the month.
type AIUsageModelDTO struct {
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	Calls        int64  `json:"calls"`
	TokensIn     int64  `json:"tokensIn"`
	TokensOut    int64  `json:"tokensOut"`
	CostMicroUSD int64  `json:"costMicroUsd" doc:"Estimated cost in millionths of a US dollar"`
}

// AIUsageDTO is a workspace's AI usage in one month against its budget.
type AIUsageDTO struct {
	Month              string            `json:"month" example:"2026-12"`
	Calls              int64             `json:"calls"`
	TokensIn           int64             `json:"tokensIn"`
	TokensOut          int64             `json:"tokensOut"`
	TokensUsed         int64             `json:"tokensUsed" doc:"tokensIn + tokensOut"`
	CostMicroUSD       int64             `json:"costMicroUsd" doc:"Estimated cost in millionths of a US dollar"`
	MonthlyTokenBudget int64             `json:"monthlyTokenBudget" doc:"0: no budget"`
	BudgetUsed         float64           `json:"budgetUsed" doc:"Share of the budget used (tokensUsed / monthlyTokenBudget); 0 without a budget"`
	ByModel            []AIUsageModelDTO `json:"byModel"`
}

// AIUsageOutput is a usage report.
type AIUsageOutput struct {
	Body AIUsageDTO
}

// AIWorkflowDraftRequestDTO describes the journey to draft.
type AIWorkflowDraftRequestDTO struct {
	Prompt string `json:"prompt" minLength:"1" maxLength:"4000" doc:"What the journey should do, in plain language" example:"When a WhatsApp message comes in, classify it as question, complaint or unsubscribe and route it"`
}

// AIWorkflowDraftInput asks for a workflow draft.
type AIWorkflowDraftInput struct {
	Body AIWorkflowDraftRequestDTO
}

// AIWorkflowDraftDTO is a drafted definition that passes the same
// validation as publishing. It is not saved.
type AIWorkflowDraftDTO struct {
	Definition  *workflow.Definition `json:"definition"`
	Explanation string               `json:"explanation"`
	Model       string               `json:"model"`
	Calls       int                  `json:"calls" doc:"Provider calls made (1 plus the repairs)"`
	TokensIn    int64                `json:"tokensIn"`
	TokensOut   int64                `json:"tokensOut"`
}

// AIWorkflowDraftOutput is a draft.
type AIWorkflowDraftOutput struct {
	Body AIWorkflowDraftDTO
}

// Register adds the AI operations to api.
func (r *AIRoutes) Register(api huma.API) {
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	tags := []string{"ai"}
	read := map[string]any{MetaPermission: auth.PermWorkspaceRead}
	manage := map[string]any{MetaPermission: auth.PermWorkspaceManage}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}

	huma.Register(api, huma.Operation{
		OperationID: "get-ai-settings", Method: http.MethodGet, Path: Prefix + "/ai/settings",
		Summary: "Get the workspace's AI settings (the API key is never returned)", Tags: tags,
		Metadata: read, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*AISettingsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var st *domain.AISettings
		err = r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			st, err = tx.AISettingsGet(ctx, c.TenantID)
			if errors.Is(err, store.ErrNotFound) {
				st, err = nil, nil
			}
			return err
		})
		if err != nil {
			return nil, Problem(ctx, r.Logger, "AI settings", err)
		}
		return &AISettingsOutput{CacheControl: "no-store", Body: aiSettingsDTO(st)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "update-ai-settings", Method: http.MethodPut, Path: Prefix + "/ai/settings",
		Summary:     "Replace the workspace's AI settings",
		Description: "The API key is write-only: omit it to keep the stored one, send an empty string to remove it. It is encrypted at rest and never returned.",
		Tags:        tags, Metadata: manage, Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *AISettingsUpdateInput) (*AISettingsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		b := in.Body
		inp := ai.SettingsInput{Provider: b.Provider, Model: b.Model, BaseURL: b.BaseURL, APIKey: b.APIKey,
			MonthlyTokenBudget: b.MonthlyTokenBudget, RedactFields: b.RedactFields, RedactPII: b.RedactPII}
		var st *domain.AISettings
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			if st, err = r.AI.SaveTx(ctx, tx, c.TenantID, inp, c.UserID); err != nil {
				return err
			}
			return auditAISettings(ctx, tx, c, st, b.APIKey != nil)
		})
		if err != nil {
			var ie *ai.InvalidError
			if errors.As(err, &ie) {
				return nil, huma.Error422UnprocessableEntity(ie.Error(), &huma.ErrorDetail{Location: "body." + ie.Field, Message: ie.Message})
			}
			return nil, Problem(ctx, r.Logger, "AI settings", err)
		}
		return &AISettingsOutput{CacheControl: "no-store", Body: aiSettingsDTO(st)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-ai-usage", Method: http.MethodGet, Path: Prefix + "/ai/usage",
		Summary: "The workspace's AI usage in one month, by model, against its budget", Tags: tags,
		Metadata: read, Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *AIUsageInput) (*AIUsageOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		at := r.Now().UTC()
		if in.Month != "" {
			if at, err = time.Parse("2006-01", in.Month); err != nil {
				return nil, huma.Error422UnprocessableEntity("month must be YYYY-MM",
					&huma.ErrorDetail{Location: "query.month", Message: "must be YYYY-MM", Value: in.Month})
			}
		}
		from, to := ai.MonthOf(at)
		var totals []domain.AIUsageTotal
		var budget int64
		err = r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			st, err := tx.AISettingsGet(ctx, c.TenantID)
			switch {
			case err == nil:
				budget = st.MonthlyTokenBudget
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			totals, err = tx.AIUsageTotals(ctx, c.TenantID, from, to)
			return err
		})
		if err != nil {
			return nil, Problem(ctx, r.Logger, "AI usage", err)
		}
		out := AIUsageDTO{Month: from.Format("2006-01"), MonthlyTokenBudget: budget, ByModel: make([]AIUsageModelDTO, 0, len(totals))}
		for _, t := range totals {
			out.ByModel = append(out.ByModel, AIUsageModelDTO{Provider: t.Provider, Model: t.Model, Calls: t.Calls,
				TokensIn: t.TokensIn, TokensOut: t.TokensOut, CostMicroUSD: t.CostMicroUSD})
			out.Calls += t.Calls
			out.TokensIn += t.TokensIn
			out.TokensOut += t.TokensOut
			out.CostMicroUSD += t.CostMicroUSD
		}
		out.TokensUsed = out.TokensIn + out.TokensOut
		if budget > 0 {
			out.BudgetUsed = float64(out.TokensUsed) / float64(budget)
		}
		return &AIUsageOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-ai-workflow-draft", Method: http.MethodPost, Path: Prefix + "/ai/workflow-drafts",
		Summary: "Draft a workflow definition from a description with the workspace's AI provider",
		Description: "The model is shown the node types' schemas; its definition is validated as publishing would, and the problems are sent back for repair " +
			"(at most " + fmt.Sprint(ai.MaxDraftRepairs) + " times). Nothing is saved or published: the draft is for a person to review. " +
			"422 with the problems when no valid draft came, 429 when the monthly token budget is reached (no call is made), 409 when AI is not configured, 502 when the provider failed.",
		Tags: tags, Metadata: map[string]any{MetaPermission: auth.PermAIUse},
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusBadGateway),
	}, func(ctx context.Context, in *AIWorkflowDraftInput) (*AIWorkflowDraftOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		d, err := r.AI.Draft(ctx, r.Store, ai.DraftRequest{TenantID: c.TenantID, Prompt: in.Body.Prompt, Registry: r.Registry, Now: r.Now})
		if err != nil {
			return nil, r.draftProblem(ctx, err)
		}
		var def workflow.Definition
		if err := json.Unmarshal(d.Definition, &def); err != nil {
			return nil, Problem(ctx, r.Logger, "workflow draft", err)
		}
		r.Logger.InfoContext(ctx, "workflow drafted by AI", "tenant", c.TenantID, "model", d.Model, "calls", d.Calls,
			"nodes", len(def.Nodes), "tokensIn", d.TokensIn, "tokensOut", d.TokensOut)
		return &AIWorkflowDraftOutput{Body: AIWorkflowDraftDTO{Definition: &def, Explanation: d.Explanation, Model: d.Model,
			Calls: d.Calls, TokensIn: d.TokensIn, TokensOut: d.TokensOut}}, nil
	})
}

// draftProblem maps a draft's failure to a problem.
func (r *AIRoutes) draftProblem(ctx context.Context, err error) error {
	var (
		ie *ai.InvalidError
		de *ai.DraftInvalidError
		be *ai.BudgetError
		pe *ai.Error
	)
	switch {
	case errors.As(err, &ie):
		return huma.Error422UnprocessableEntity(ie.Error(), &huma.ErrorDetail{Location: "body." + ie.Field, Message: ie.Message})
	case errors.As(err, &de):
		details := make([]error, 0, len(de.Problems))
		for _, p := range de.Problems {
			loc := "definition"
			switch {
			case p.NodeID != "":
				loc = "definition.nodes[" + p.NodeID + "]"
				if p.Path != "" {
					loc += ".config" + strings.ReplaceAll(p.Path, "/", ".")
				}
			case p.EdgeID != "":
				loc = "definition.edges[" + p.EdgeID + "]"
			}
			details = append(details, &huma.ErrorDetail{Location: loc, Message: p.Code + ": " + p.Message, Value: ProblemDTO{
				Code: p.Code, Message: p.Message, NodeID: p.NodeID, EdgeID: p.EdgeID, Path: p.Path}})
		}
		return huma.Error422UnprocessableEntity(de.Error(), details...)
	case errors.As(err, &be):
		return huma.NewError(http.StatusTooManyRequests, be.Error())
	case errors.Is(err, ai.ErrNotConfigured):
		return huma.Error409Conflict(err.Error())
	case errors.As(err, &pe):
		r.Logger.WarnContext(ctx, "workflow draft: provider call failed", "err", err)
		return huma.NewError(http.StatusBadGateway, "the AI provider failed: "+pe.Error())
	}
	return Problem(ctx, r.Logger, "workflow draft", err)
}

// auditAISettings records a change of the AI settings (never the key).
func auditAISettings(ctx context.Context, tx store.Tx, c *Caller, s *domain.AISettings, keyChanged bool) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, _ := json.Marshal(map[string]any{"provider": s.Provider, "model": s.Model, "baseUrl": s.BaseURL,
		"monthlyTokenBudget": s.MonthlyTokenBudget, "redactFields": s.RedactFields, "redactPii": s.RedactPII, "apiKeyChanged": keyChanged, "hasApiKey": s.HasAPIKey()})
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: "ai.settings_updated", TargetType: "ai_settings", TargetID: c.TenantID.String(), Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit ai.settings_updated: %w", err)
	}
	return nil
}
