package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

// ProblemTypePlanLimit is the type URI of the 402 problem answered when a
// write would pass a limit of the workspace's plan.
const ProblemTypePlanLimit = "https://nextflow.dev/problems/plan-limit"

// PlanLimitProblem is the RFC 9457 problem of a write refused by the plan
// (402): it names the limit, its value and the usage; nothing was written.
type PlanLimitProblem struct {
	Type   string `json:"type" example:"https://nextflow.dev/problems/plan-limit"`
	Title  string `json:"title" example:"Payment Required"`
	Status int    `json:"status" example:"402"`
	Detail string `json:"detail"`
	// Extension members (RFC 9457 §3.2).
	Plan  domain.Plan `json:"plan" enum:"FREE,PRO,BIZ"`
	Limit plan.Limit  `json:"limit" doc:"The limit that refused (activeWorkflows, workflows, executionsPerMonth, contacts, messagesPerMonth, members, minScheduleInterval, aiTokensPerMonth)"`
	Value int64       `json:"value" doc:"The limit's value (minScheduleInterval: seconds)"`
	Usage int64       `json:"usage" doc:"The workspace's usage now (this month for monthly limits)"`
}

// Error implements error.
func (p *PlanLimitProblem) Error() string { return p.Detail }

// GetStatus implements huma.StatusError.
func (p *PlanLimitProblem) GetStatus() int { return p.Status }

// ContentType answers application/problem+json where JSON was asked for.
func (p *PlanLimitProblem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// planLimitProblem turns a refusal by the plan into its 402 problem.
func planLimitProblem(e *plan.LimitError) *PlanLimitProblem {
	return &PlanLimitProblem{
		Type: ProblemTypePlanLimit, Title: http.StatusText(http.StatusPaymentRequired), Status: http.StatusPaymentRequired,
		Detail: e.Error() + ": upgrade the plan or free some up", Plan: e.Plan, Limit: e.Limit, Value: e.Value, Usage: e.Usage,
	}
}

// PlanRoutes serves the workspace's usage against its plan and plan
// changes: by its OWNER, and by a billing provider's webhook. The app
// registers it through Deps.Hooks.
type PlanRoutes struct {
	Store  store.Store
	Meter  *usage.Meter
	Logger *slog.Logger
	// BillingToken authenticates the billing webhook (PUT
	// /api/v1/billing/plan) in its X-Billing-Token header: the operator
	// token (NEXTFLOW_OPERATOR_TOKEN). Empty: the route answers 404.
	BillingToken string
}

// UsageItemDTO is one limit with the workspace's usage against it.
type UsageItemDTO struct {
	Limit   plan.Limit `json:"limit"`
	Value   int64      `json:"value" doc:"The limit; -1: unlimited"`
	Used    int64      `json:"used"`
	Monthly bool       `json:"monthly" doc:"Used counts this month (UTC) and starts over on the 1st"`
}

// UsageDTO is the workspace's usage against its plan.
type UsageDTO struct {
	Plan                       domain.Plan    `json:"plan" enum:"FREE,PRO,BIZ"`
	PeriodStart                time.Time      `json:"periodStart"`
	PeriodEnd                  time.Time      `json:"periodEnd" doc:"Exclusive"`
	Items                      []UsageItemDTO `json:"items"`
	MinScheduleIntervalSeconds int64          `json:"minScheduleIntervalSeconds"`
	APIRequestsPerSecond       int            `json:"apiRequestsPerSecond"`
	APIBurst                   int            `json:"apiBurst"`
}

// UsageOutput is the usage report, never cached.
type UsageOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         UsageDTO
}

// PlanDTO is one plan's limits.
type PlanDTO struct {
	Plan                       domain.Plan `json:"plan" enum:"FREE,PRO,BIZ"`
	ActiveWorkflows            int         `json:"activeWorkflows" doc:"-1: unlimited (as every count here)"`
	Workflows                  int         `json:"workflows"`
	ExecutionsPerMonth         int         `json:"executionsPerMonth"`
	Contacts                   int         `json:"contacts"`
	MessagesPerMonth           int         `json:"messagesPerMonth"`
	Members                    int         `json:"members"`
	MinScheduleIntervalSeconds int64       `json:"minScheduleIntervalSeconds"`
	AITokensPerMonth           int         `json:"aiTokensPerMonth"`
	APIRequestsPerSecond       int         `json:"apiRequestsPerSecond"`
	APIBurst                   int         `json:"apiBurst"`
}

func planDTO(l plan.Limits) PlanDTO {
	return PlanDTO{Plan: l.Plan, ActiveWorkflows: l.ActiveWorkflows, Workflows: l.Workflows, ExecutionsPerMonth: l.ExecutionsPerMonth,
		Contacts: l.Contacts, MessagesPerMonth: l.MessagesPerMonth, Members: l.Members,
		MinScheduleIntervalSeconds: int64(l.MinScheduleInterval / time.Second), AITokensPerMonth: l.AITokensPerMonth,
		APIRequestsPerSecond: l.APIRequestsPerSecond, APIBurst: l.APIBurst}
}

// PlanListDTO is every plan's limits.
type PlanListDTO struct {
	Plans []PlanDTO `json:"plans"`
}

// PlansOutput lists every plan's limits.
type PlansOutput struct {
	Body PlanListDTO
}

// SetPlanDTO names the workspace's new plan.
type SetPlanDTO struct {
	Plan domain.Plan `json:"plan" enum:"FREE,PRO,BIZ"`
}

// SetPlanInput carries the new plan.
type SetPlanInput struct {
	Body SetPlanDTO
}

// WorkspacePlanDTO is a workspace and its plan: the billing webhook's
// change, and the answer to a change.
type WorkspacePlanDTO struct {
	TenantID uuid.UUID   `json:"tenantId" doc:"The workspace's ID"`
	Plan     domain.Plan `json:"plan" enum:"FREE,PRO,BIZ"`
}

// BillingPlanInput is the billing provider's plan change for a workspace.
type BillingPlanInput struct {
	Token string `header:"X-Billing-Token" doc:"The operator token (NEXTFLOW_OPERATOR_TOKEN)"`
	Body  WorkspacePlanDTO
}

// PlanOutput is the workspace's plan after a change.
type PlanOutput struct {
	Body WorkspacePlanDTO
}

// Register adds the usage and plan operations to api.
func (r *PlanRoutes) Register(api huma.API) {
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	tags := []string{"plans"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}

	huma.Register(api, huma.Operation{
		OperationID: "get-usage", Method: http.MethodGet, Path: Prefix + "/usage",
		Summary: "The workspace's usage this month against its plan's limits", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermWorkspaceRead}, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*UsageOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var rep *usage.Report
		err = r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			rep, err = r.Meter.Report(ctx, tx, c.TenantID)
			return err
		})
		if err != nil {
			return nil, Problem(ctx, r.Logger, "usage", err)
		}
		out := &UsageOutput{CacheControl: "no-store", Body: UsageDTO{
			Plan: rep.Limits.Plan, PeriodStart: rep.PeriodStart, PeriodEnd: rep.PeriodEnd, Items: make([]UsageItemDTO, 0, len(rep.Items)),
			MinScheduleIntervalSeconds: int64(rep.Limits.MinScheduleInterval / time.Second),
			APIRequestsPerSecond:       rep.Limits.APIRequestsPerSecond, APIBurst: rep.Limits.APIBurst,
		}}
		for _, it := range rep.Items {
			out.Body.Items = append(out.Body.Items, UsageItemDTO{Limit: it.Limit, Value: it.Value, Used: it.Used, Monthly: it.Monthly})
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "list-plans", Method: http.MethodGet, Path: Prefix + "/plans",
		Summary: "Every plan's limits", Tags: tags,
		Metadata: map[string]any{MetaPermission: auth.PermWorkspaceRead, MetaNoTenant: true}, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*PlansOutput, error) {
		out := &PlansOutput{}
		for _, l := range plan.All() {
			out.Body.Plans = append(out.Body.Plans, planDTO(l))
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "set-workspace-plan", Method: http.MethodPut, Path: Prefix + "/workspace/plan",
		Summary:     "Change the workspace's plan (OWNER)",
		Description: "Nothing is deleted when the new plan is smaller: creating more is refused (402) until usage is under its limits.",
		Tags:        tags, Metadata: map[string]any{MetaPermission: auth.PermBillingManage}, Errors: errs,
	}, func(ctx context.Context, in *SetPlanInput) (*PlanOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		if c.UserID == nil {
			return nil, huma.Error403Forbidden("only a signed-in OWNER changes the plan")
		}
		return r.setPlan(ctx, c.TenantID, in.Body.Plan, c.UserID, c.IP, "owner")
	})

	huma.Register(api, huma.Operation{
		OperationID: "billing-set-plan", Method: http.MethodPut, Path: Prefix + "/billing/plan",
		Summary:     "Change a workspace's plan: the billing provider's webhook",
		Description: "For a billing provider's webhook (or its relay): authenticated by the operator token (NEXTFLOW_OPERATOR_TOKEN) in X-Billing-Token; answers 404 when none is set.",
		Tags:        tags, Metadata: map[string]any{MetaPublic: true, MetaNoTenant: true},
		Security: []map[string][]string{},
		Errors:   []int{http.StatusUnauthorized, http.StatusNotFound},
	}, func(ctx context.Context, in *BillingPlanInput) (*PlanOutput, error) {
		if r.BillingToken == "" {
			return nil, huma.Error404NotFound("the billing webhook is off (set NEXTFLOW_OPERATOR_TOKEN)")
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(in.Token)), []byte(r.BillingToken)) != 1 {
			return nil, huma.Error401Unauthorized("the billing webhook needs the operator token in X-Billing-Token")
		}
		return r.setPlan(ctx, in.Body.TenantID, in.Body.Plan, nil, requestInfoFrom(ctx).IP, "billing")
	})
}

// setPlan changes a tenant's plan and audits it.
func (r *PlanRoutes) setPlan(ctx context.Context, tenantID uuid.UUID, p domain.Plan, by *uuid.UUID, ip, via string) (*PlanOutput, error) {
	var t *domain.Tenant
	err := r.Store.InTx(ctx, tenantID, func(tx store.Tx) error {
		old, err := tx.TenantGetByID(ctx, tenantID)
		if err != nil {
			return err
		}
		if t, err = r.Meter.SetPlan(ctx, tx, tenantID, p); err != nil {
			return err
		}
		actorType := "user"
		if by == nil {
			actorType = "system"
		}
		data, err := json.Marshal(map[string]any{"from": old.Plan, "to": p, "via": via})
		if err != nil {
			return fmt.Errorf("encode audit data: %w", err)
		}
		if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: tenantID, ActorType: actorType, ActorID: by,
			Action: "workspace.plan_changed", TargetType: "tenant", TargetID: tenantID.String(), Data: data, IP: ip}); err != nil {
			return fmt.Errorf("audit workspace.plan_changed: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, Problem(ctx, r.Logger, "workspace", err)
	}
	r.Logger.InfoContext(ctx, "plan changed", "tenant_id", tenantID, "plan", p, "via", via)
	out := &PlanOutput{}
	out.Body.TenantID, out.Body.Plan = t.ID, t.Plan
	return out, nil
}

// usageHold checks a counted quantity of the plan in tx (see usage.Hold);
// without a meter nothing is limited.
func (s *Server) usageHold(ctx context.Context, tx store.Tx, tenantID uuid.UUID, counter store.UsageCounter, n int) error {
	if s.deps.Usage == nil {
		return nil
	}
	if err := s.deps.Usage.Hold(ctx, tx, tenantID, counter, n); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	return nil
}
