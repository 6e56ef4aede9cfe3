package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

// testBillingToken is the billing webhook's token in newFullAPI.
const testBillingToken = "billing-token-billing-token-billing-token"

// runnable is a published-able draft: a manual trigger and an end.
const runnable = `{"nodes":[{"id":"start","type":"trigger.manual","config":{},"position":{"x":0,"y":0}},` +
	`{"id":"done","type":"end","config":{},"position":{"x":0,"y":100}}],"edges":[{"id":"e","source":"start","target":"done"}]}`

// planProblem reads a 402 plan-limit problem.
func planProblem(t *testing.T, r *response) PlanLimitProblem {
	t.Helper()
	require.Equal(t, http.StatusPaymentRequired, r.Status, r.short())
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	var p PlanLimitProblem
	r.JSON(t, &p)
	require.Equal(t, ProblemTypePlanLimit, p.Type)
	require.Equal(t, http.StatusPaymentRequired, p.Status)
	return p
}

func (a *testAPI) countWorkflows(acc *account) int {
	a.t.Helper()
	var page struct{ Items []WorkflowDTO }
	a.do(http.MethodGet, Prefix+"/workflows?limit=100", nil, creds{Cookie: acc.Cookie}).JSON(a.t, &page)
	return len(page.Items)
}

// TestPlanLimitRefusesTheWorkflowPastIt is the check: a FREE
// workspace creating one workflow past its limit gets the 402 problem
// naming the limit, its value and the usage, and nothing is written; the
// same for activating one past the active-workflow limit.
func TestPlanLimitRefusesTheWorkflowPastIt(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		owner := a.signup("owner@example.com", "Acme")
		c := creds{Cookie: owner.Cookie}
		free, err := plan.For(domain.PlanFree)
		require.NoError(t, err)
		ids := make([]string, 0, free.Workflows)
		for i := range free.Workflows {
			ids = append(ids, a.createWorkflow(owner, fmt.Sprintf("w%d", i), runnable).ID.String())
		}
		r := a.do(http.MethodPost, Prefix+"/workflows", fmt.Sprintf(`{"name":"one too many","definition":%s}`, runnable), c)
		p := planProblem(t, r)
		require.Equal(t, plan.LimitWorkflows, p.Limit)
		require.EqualValues(t, free.Workflows, p.Value)
		require.EqualValues(t, free.Workflows, p.Usage)
		require.Equal(t, domain.PlanFree, p.Plan)
		require.Contains(t, p.Detail, "workflows")
		require.Equal(t, free.Workflows, a.countWorkflows(owner), "nothing written")
		// Duplicating is creating too.
		planProblem(t, a.do(http.MethodPost, Prefix+"/workflows/"+ids[0]+"/duplicate", nil, c))
		require.Equal(t, free.Workflows, a.countWorkflows(owner))

		for i, id := range ids[:free.ActiveWorkflows+1] {
			require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+id+"/publish", nil, c).Status)
			act := a.do(http.MethodPost, Prefix+"/workflows/"+id+"/activate", nil, c)
			if i < free.ActiveWorkflows {
				require.Equal(t, http.StatusOK, act.Status, act.short())
				continue
			}
			p := planProblem(t, act)
			require.Equal(t, plan.LimitActiveWorkflows, p.Limit)
			require.EqualValues(t, free.ActiveWorkflows, p.Value)
			require.EqualValues(t, free.ActiveWorkflows, p.Usage)
			var w WorkflowDTO
			a.do(http.MethodGet, Prefix+"/workflows/"+id, nil, c).JSON(t, &w)
			require.False(t, w.IsActive, "nothing written")
		}
		// Activating an active workflow again is not one more.
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+ids[0]+"/activate", nil, c).Status)

		// The owner upgrades: the same activation goes through.
		up := a.do(http.MethodPut, Prefix+"/workspace/plan", `{"plan":"PRO"}`, c)
		require.Equal(t, http.StatusOK, up.Status, up.short())
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+ids[free.ActiveWorkflows]+"/activate", nil, c).Status)
	})
}

// TestPlanLimitRefusesTheExecutionPastTheMonth fills the month's
// executions and starts one more: 402, no execution written.
func TestPlanLimitRefusesTheExecutionPastTheMonth(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		owner := a.signup("owner@example.com", "Acme")
		tenantID := owner.Me.ActiveTenant.ID
		c := creds{Cookie: owner.Cookie}
		w := a.createWorkflow(owner, "runs", runnable)
		require.Equal(t, http.StatusOK, a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/publish", nil, c).Status)
		start := func() *response {
			return a.do(http.MethodPost, Prefix+"/workflows/"+w.ID.String()+"/executions", `{"input":{}}`, c)
		}
		r := start()
		require.Equal(t, http.StatusAccepted, r.Status, r.short())

		free, _ := plan.For(domain.PlanFree)
		require.NoError(t, a.st.InTx(t.Context(), tenantID, func(tx store.Tx) error {
			_, ok, err := tx.UsageAdd(t.Context(), &store.UsageAddParams{TenantID: tenantID, Period: store.UsagePeriod(time.Now()),
				Counter: store.UsageExecutions, N: int64(free.ExecutionsPerMonth - 1), Limit: int64(free.ExecutionsPerMonth)})
			require.True(t, ok)
			return err
		}))
		p := planProblem(t, start())
		require.Equal(t, plan.LimitExecutionsPerMonth, p.Limit)
		require.EqualValues(t, free.ExecutionsPerMonth, p.Value)
		require.EqualValues(t, free.ExecutionsPerMonth, p.Usage)
		var page struct{ Items []ExecutionDTO }
		a.do(http.MethodGet, Prefix+"/executions?workflowId="+w.ID.String(), nil, c).JSON(t, &page)
		require.Len(t, page.Items, 1, "only the first execution was written")

		var u UsageDTO
		a.do(http.MethodGet, Prefix+"/usage", nil, c).JSON(t, &u)
		require.Equal(t, domain.PlanFree, u.Plan)
		items := map[plan.Limit]UsageItemDTO{}
		for _, it := range u.Items {
			items[it.Limit] = it
		}
		require.Equal(t, UsageItemDTO{Limit: plan.LimitExecutionsPerMonth, Value: int64(free.ExecutionsPerMonth), Used: int64(free.ExecutionsPerMonth), Monthly: true},
			items[plan.LimitExecutionsPerMonth])
		require.Equal(t, UsageItemDTO{Limit: plan.LimitWorkflows, Value: int64(free.Workflows), Used: 1}, items[plan.LimitWorkflows])
		require.Equal(t, UsageItemDTO{Limit: plan.LimitMembers, Value: int64(free.Members), Used: 1}, items[plan.LimitMembers])
		require.EqualValues(t, free.MinScheduleInterval/time.Second, u.MinScheduleIntervalSeconds)
	})
}

// TestPlanChanges: only an OWNER (signed in) changes the plan; the billing
// webhook needs the operator token; both are audited.
func TestPlanChanges(t *testing.T) {
	t.Parallel()
	a := newFullAPI(t, backends[0].open)
	owner := a.signup("owner@example.com", "Acme")
	tenantID := owner.Me.ActiveTenant.ID
	admin := a.accept(a.invite(owner, "admin@example.com", "ADMIN"), "Admin")
	key := a.apiKey(owner, "full")
	body := `{"plan":"BIZ"}`
	require.Equal(t, http.StatusForbidden, a.do(http.MethodPut, Prefix+"/workspace/plan", body, creds{Cookie: admin.Cookie}).Status)
	require.Equal(t, http.StatusForbidden, a.do(http.MethodPut, Prefix+"/workspace/plan", body, creds{Key: key}).Status)
	require.Equal(t, http.StatusUnprocessableEntity, a.do(http.MethodPut, Prefix+"/workspace/plan", `{"plan":"GOLD"}`, creds{Cookie: owner.Cookie}).Status)
	planOf := func() domain.Plan {
		var u UsageDTO
		a.do(http.MethodGet, Prefix+"/usage", nil, creds{Cookie: owner.Cookie}).JSON(t, &u)
		return u.Plan
	}
	require.Equal(t, domain.PlanFree, planOf())
	r := a.do(http.MethodPut, Prefix+"/workspace/plan", body, creds{Cookie: owner.Cookie})
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.Equal(t, domain.PlanBiz, planOf())

	hook := fmt.Sprintf(`{"tenantId":%q,"plan":"PRO"}`, tenantID)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPut, Prefix+"/billing/plan", hook, creds{NoOrigin: true}).Status)
	require.Equal(t, http.StatusUnauthorized, a.do(http.MethodPut, Prefix+"/billing/plan", hook, creds{NoOrigin: true}, "X-Billing-Token", "wrong").Status)
	require.Equal(t, domain.PlanBiz, planOf(), "nothing written")
	r = a.do(http.MethodPut, Prefix+"/billing/plan", hook, creds{NoOrigin: true}, "X-Billing-Token", testBillingToken)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.Equal(t, domain.PlanPro, planOf())

	var audit struct{ Items []AuditEntryDTO }
	a.do(http.MethodGet, Prefix+"/audit-log?limit=50", nil, creds{Cookie: owner.Cookie}).JSON(t, &audit)
	var changes []string
	for _, e := range audit.Items {
		if e.Action == "workspace.plan_changed" {
			changes = append(changes, e.ActorType)
		}
	}
	require.Equal(t, []string{"system", "user"}, changes, "newest first")
}

// TestPlanAPIRate: a workspace's API limit is its plan's, with the IETF
// RateLimit headers, and a 429 past it; the upgrade lifts it.
func TestPlanAPIRate(t *testing.T) {
	t.Parallel()
	workers := river.NewWorkers()
	st := storetest.SQLite(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	meter := usage.New(st, usage.Options{})
	svc, err := auth.New(auth.Options{Store: st, Logger: log,
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	require.NoError(t, err)
	deps := Deps{Store: st, Logger: log, Config: &config.Config{}, Usage: meter,
		Hooks: []func(huma.API){(&PlanRoutes{Store: st, Meter: meter, Logger: log}).Register}}
	NewAccounts(AccountsOptions{Service: svc, Logger: log}).Install(&deps)
	// The configured rule is far looser: the plan's applies.
	NewRateLimiter(ratelimit.NewMemory(ratelimit.MemoryOptions{}), config.RateLimits{API: ratelimit.Rule{Rate: 1_000_000, Per: time.Second, Burst: 1_000_000}}, log).
		WithPlans(meter.Plan).Install(&deps)
	srv := New(deps)
	a := &testAPI{t: t, srv: srv, handler: srv.Handler(), svc: svc, st: st}
	owner := a.signup("owner@example.com", "Acme")
	c := creds{Cookie: owner.Cookie}
	free, _ := plan.For(domain.PlanFree)

	first := a.do(http.MethodGet, Prefix+"/plans", nil, c)
	require.Equal(t, http.StatusOK, first.Status)
	require.Equal(t, fmt.Sprintf(`"api";q=%d;w=2`, free.APIBurst), first.Header.Get("RateLimit-Policy"))
	require.Regexp(t, `^"api";r=\d+;t=\d+$`, first.Header.Get("RateLimit"))
	var refused *response
	for i := 1; i < 4*free.APIBurst; i++ {
		r := a.do(http.MethodGet, Prefix+"/plans", nil, c)
		if r.Status == http.StatusTooManyRequests {
			require.GreaterOrEqual(t, i, free.APIBurst, "the whole burst passes first")
			refused = r
			break
		}
		require.Equal(t, http.StatusOK, r.Status)
	}
	require.NotNil(t, refused, "a 429 past the FREE plan's rate")
	require.Equal(t, fmt.Sprintf(`"api";q=%d;w=2`, free.APIBurst), refused.Header.Get("RateLimit-Policy"))
	require.Regexp(t, `^"api";r=0;t=\d+$`, refused.Header.Get("RateLimit"))
	require.NotEmpty(t, refused.Header.Get("Retry-After"))
	require.Equal(t, "application/problem+json", refused.Header.Get("Content-Type"))
	require.Contains(t, string(refused.Body), `rate limit \"api\" reached`)

	// PRO's rate: the same workspace passes again (the plan change is
	// made directly: the API refuses it right now).
	require.NoError(t, st.InTx(t.Context(), owner.Me.ActiveTenant.ID, func(tx store.Tx) error {
		_, err := meter.SetPlan(t.Context(), tx, owner.Me.ActiveTenant.ID, domain.PlanPro)
		return err
	}))
	pro, _ := plan.For(domain.PlanPro)
	r := a.do(http.MethodGet, Prefix+"/plans", nil, c)
	require.Equal(t, http.StatusOK, r.Status, r.short())
	require.Equal(t, fmt.Sprintf(`"api";q=%d;w=2`, pro.APIBurst), r.Header.Get("RateLimit-Policy"))
}

// TestPlanLimitRefusesTheMemberAndTheContactPastIt: a FREE workspace's
// invitation past its member limit and its contact past its contact
// limit get the 402 problem and write nothing; updating a contact that
// exists still works at the limit; through the events API too.
func TestPlanLimitRefusesTheMemberAndTheContactPastIt(t *testing.T) {
	t.Parallel()
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a := newFullAPI(t, b.open, func(_ *AccountsOptions, ao *auth.Options) {
				ao.MemberQuota = usage.New(ao.Store, usage.Options{}).Members
			})
			owner := a.signup("owner@example.com", "Acme")
			tenantID := owner.Me.ActiveTenant.ID
			c := creds{Cookie: owner.Cookie}
			free, _ := plan.For(domain.PlanFree)
			for i := 1; i < free.Members; i++ {
				a.invite(owner, fmt.Sprintf("m%d@example.com", i), "VIEWER")
			}
			p := planProblem(t, a.do(http.MethodPost, Prefix+"/invitations", `{"email":"late@example.com","role":"VIEWER"}`, c))
			require.Equal(t, plan.LimitMembers, p.Limit)
			require.EqualValues(t, free.Members, p.Value)
			require.EqualValues(t, free.Members, p.Usage)
			var invs []InvitationDTO
			a.do(http.MethodGet, Prefix+"/invitations", nil, c).JSON(t, &invs)
			require.Len(t, invs, free.Members-1, "nothing written")

			require.NoError(t, a.st.InTx(t.Context(), tenantID, func(tx store.Tx) error {
				for i := range free.Contacts - 1 {
					id := fmt.Sprintf("c%d", i)
					if _, _, err := tx.ContactUpsert(t.Context(), &store.ContactUpsertParams{TenantID: tenantID, ExternalID: &id}); err != nil {
						return err
					}
				}
				return nil
			}))
			r := a.do(http.MethodPost, Prefix+"/contacts", `{"externalId":"last"}`, c)
			require.Equal(t, http.StatusCreated, r.Status, r.short())
			p = planProblem(t, a.do(http.MethodPost, Prefix+"/contacts", `{"externalId":"one-too-many"}`, c))
			require.Equal(t, plan.LimitContacts, p.Limit)
			require.EqualValues(t, free.Contacts, p.Value)
			require.EqualValues(t, free.Contacts, p.Usage)
			r = a.do(http.MethodPost, Prefix+"/contacts", `{"externalId":"last","name":"Last"}`, c)
			require.Equal(t, http.StatusOK, r.Status, "an update is not one more: %s", r.short())
			require.NoError(t, a.st.Read(t.Context(), tenantID, func(tx store.Tx) error {
				n, err := tx.UsageCount(t.Context(), tenantID, store.UsageContacts, time.Now())
				require.EqualValues(t, free.Contacts, n, "the refused contact was not written")
				return err
			}))

			// The events API: an event naming a new contact past the limit
			// is refused (402 when nothing is taken); events of existing
			// contacts are stored.
			key := creds{Key: a.apiKey(owner, "events:write")}
			p = planProblem(t, a.do(http.MethodPost, Prefix+"/events", `{"contact":{"externalId":"ev-new"},"name":"seen"}`, key))
			require.Equal(t, plan.LimitContacts, p.Limit)
			require.EqualValues(t, free.Contacts, p.Usage)
			r = a.do(http.MethodPost, Prefix+"/events", `{"batch":[{"contact":{"externalId":"last"},"name":"seen"},`+
				`{"contact":{"externalId":"ev-new"},"name":"seen"}]}`, key)
			require.Equal(t, http.StatusOK, r.Status, r.short())
			var ing EventIngestDTO
			r.JSON(t, &ing)
			require.Equal(t, 1, ing.Accepted)
			require.Len(t, ing.Errors, 1)
			require.Equal(t, 1, ing.Errors[0].Index)
			require.Contains(t, ing.Errors[0].Message, "plan FREE allows")
			require.NoError(t, a.st.Read(t.Context(), tenantID, func(tx store.Tx) error {
				n, err := tx.UsageCount(t.Context(), tenantID, store.UsageContacts, time.Now())
				require.EqualValues(t, free.Contacts, n, "no contact was created by the events API")
				return err
			}))
		})
	}
}
