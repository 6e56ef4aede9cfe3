package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

// Rate-limit policy names, as they appear in the RateLimit-Policy and
// RateLimit headers and in 429 problems.
const (
	PolicyWebhookIP     = "webhook-ip"
	PolicyWebhook       = "webhook"
	PolicyWebhookTenant = "webhook-tenant"
	PolicyAPI           = "api"
	PolicyPublic        = "public"
	PolicyAuthFailures  = "auth-failures"
)

// webhookPathPrefix marks the webhook operations, limited before
// authentication, body parsing and the signature check.
const webhookPathPrefix = "/webhooks/"

// RateLimiter limits webhook posts per client IP, per workflow and per
// tenant (all or nothing), API calls per tenant (authenticated) or per
// client IP (unauthenticated, sign-in aside: it has its own throttle), and
// failed credentials per client IP (past that limit a credential is
// refused before it is looked up). Every answer it lets through carries
// RateLimit-Policy and RateLimit headers (IETF
// draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem naming
// the limit, with Retry-After.
type RateLimiter struct {
	limiter ratelimit.Limiter
	rules   config.RateLimits
	log     *slog.Logger
	// trustProxy takes the client IP from X-Forwarded-For, as the
	// authentication middleware does (NEXTFLOW_TRUST_PROXY, read from
	// Deps.Config by Install).
	trustProxy bool
	// planOf returns a tenant's plan, whose API rate replaces rules.API
	// for that tenant (nil: rules.API for every tenant).
	planOf func(ctx context.Context, tenantID uuid.UUID) (domain.Plan, error)
}

// WithPlans makes each workspace's API limit its plan's
// (plan.Limits.APIRequestsPerSecond with bursts of APIBurst) instead of
// the configured API rule, unless that rule is off; planOf should be cheap
// (usage.Meter.Plan caches). When it fails the configured rule applies.
func (rl *RateLimiter) WithPlans(planOf func(ctx context.Context, tenantID uuid.UUID) (domain.Plan, error)) *RateLimiter {
	rl.planOf = planOf
	return rl
}

// tenantRule is the API rule of a tenant: its plan's rate, or the
// configured one.
func (rl *RateLimiter) tenantRule(ctx context.Context, tenantID uuid.UUID) ratelimit.Rule {
	if rl.planOf == nil || !rl.rules.API.Enabled() {
		// Off (NEXTFLOW_RATE_API=off) is off for every plan.
		return rl.rules.API
	}
	p, err := rl.planOf(ctx, tenantID)
	if err != nil {
		rl.log.DebugContext(ctx, "rate limit: plan unknown, configured rule applies", "tenant_id", tenantID, "err", err)
		return rl.rules.API
	}
	l, err := plan.For(p)
	if err != nil || l.APIRequestsPerSecond <= 0 {
		return rl.rules.API
	}
	return ratelimit.Rule{Rate: l.APIRequestsPerSecond, Per: time.Second, Burst: max(l.APIBurst, 1)}
}

// NewRateLimiter builds the rate-limit middlewares over limiter (a
// ratelimit.Redis to share the limits across nodes, else a
// ratelimit.Memory).
func NewRateLimiter(limiter ratelimit.Limiter, rules config.RateLimits, log *slog.Logger) *RateLimiter {
	if log == nil {
		log = slog.Default()
	}
	return &RateLimiter{limiter: limiter, rules: rules, log: log}
}

// Install adds the middlewares to deps: the webhook limits first of all
// and then the failed-credential gate (both before authentication), the
// API limits after authentication, which tells the tenant. It also
// declares the 429 and 503 answers in the OpenAPI document. Call it after
// Accounts.Install.
func (rl *RateLimiter) Install(deps *Deps) {
	if deps.Config != nil {
		rl.trustProxy = deps.Config.TrustProxy
	}
	deps.Middleware = append([]func(huma.Context, func(huma.Context)){rl.WebhookMiddleware, rl.AuthFailureMiddleware}, deps.Middleware...)
	deps.Middleware = append(deps.Middleware, rl.APIMiddleware)
	deps.Hooks = append(deps.Hooks, documentErrors)
}

// limit is one policy applied to one key.
type limit struct {
	policy string
	key    string
	rule   ratelimit.Rule
	// scope completes "… takes N requests per …" in the refusal.
	scope string
}

// WebhookMiddleware limits posts to /webhooks/{tenantId}/{id}: per client
// IP, per workflow and per tenant across all its webhooks, all or nothing
// (a post one limit refuses uses up none of the others), before any
// database access. The client limit comes first, so one source posting to
// random workflow IDs of a tenant spends its own budget, not the tenant's.
func (rl *RateLimiter) WebhookMiddleware(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || !strings.HasPrefix(op.Path, webhookPathPrefix) {
		next(ctx)
		return
	}
	tenantID, err1 := uuid.Parse(ctx.Param("tenantId"))
	workflowID, err2 := uuid.Parse(ctx.Param("id"))
	if err1 != nil || err2 != nil {
		// Not a webhook URL: refused by validation, before any database access.
		next(ctx)
		return
	}
	rl.apply(ctx, next,
		limit{PolicyWebhookIP, "webhook:ip:" + rl.clientKey(ctx), rl.rules.WebhookIP, "this client address's webhook posts"},
		limit{PolicyWebhook, "webhook:workflow:" + tenantID.String() + ":" + workflowID.String(), rl.rules.Webhook, "this workflow's webhook"},
		limit{PolicyWebhookTenant, "webhook:tenant:" + tenantID.String(), rl.rules.WebhookTenant, "this workspace's webhooks together"},
	)
}

// APIMiddleware limits /api/v1 operations: per tenant when authenticated
// (per user for a user without a workspace), per client IP otherwise.
// Sign-in, the health checks, webhooks and the Segment tracking API (whose
// handlers check their own credentials: a server-side client sends many
// batches from one address) are not limited here.
func (rl *RateLimiter) APIMiddleware(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || strings.HasPrefix(op.Path, webhookPathPrefix) || strings.HasPrefix(op.Path, SegmentPrefix+"/") || op.OperationID == "login" ||
		op.Path == "/healthz" || op.Path == "/readyz" {
		markAuthReached(ctx)
		next(ctx)
		return
	}
	markAuthReached(ctx)
	if c, ok := CallerFrom(ctx.Context()); ok && !metaBool(op, MetaPublic) {
		rl.apply(ctx, next, limit{PolicyAPI, "api:tenant:" + c.TenantID.String(), rl.tenantRule(ctx.Context(), c.TenantID), "this workspace"})
		return
	}
	if p := auth.FromContext(ctx.Context()); p != nil && !metaBool(op, MetaPublic) {
		if id := p.UserID(); id != nil {
			rl.apply(ctx, next, limit{PolicyAPI, "api:user:" + id.String(), rl.rules.API, "this account"})
			return
		}
	}
	rl.apply(ctx, next, limit{PolicyPublic, "public:ip:" + rl.clientKey(ctx), rl.rules.Public, "this client address without signing in"})
}

// apply takes one unit of every enabled limit, all or nothing, and
// answers 429 (naming the first limit that refused, with the longest wait
// of those that did) or calls next, with the headers set either way.
func (rl *RateLimiter) apply(ctx huma.Context, next func(huma.Context), limits ...limit) {
	active := make([]limit, 0, len(limits))
	for _, l := range limits {
		if l.rule.Enabled() {
			active = append(active, l)
		}
	}
	if len(active) == 0 {
		next(ctx)
		return
	}
	policies := make([]string, len(active))
	reqs := make([]ratelimit.Request, len(active))
	for i, l := range active {
		policies[i] = policyHeader(l)
		reqs[i] = ratelimit.Request{Key: l.key, Rule: l.rule}
	}
	ctx.SetHeader("RateLimit-Policy", strings.Join(policies, ", "))
	results, err := rl.limiter.AllowAll(ctx.Context(), reqs...)
	if err != nil {
		// Only a cancelled request gets here (Redis failures fall back
		// in process): let it end on its own.
		rl.log.DebugContext(ctx.Context(), "rate limit", "err", err, "policy", active[0].policy)
		next(ctx)
		return
	}
	states := make([]string, len(active))
	refused, retry := -1, 0
	for i, res := range results {
		if res.Allowed {
			states[i] = fmt.Sprintf("%q;r=%d;t=%d", active[i].policy, res.Remaining, int(math.Ceil(res.Reset.Seconds())))
			continue
		}
		wait := ceilSeconds(res.RetryAfter)
		states[i] = fmt.Sprintf("%q;r=0;t=%d", active[i].policy, wait)
		if refused < 0 {
			refused = i
		}
		retry = max(retry, wait)
	}
	ctx.SetHeader("RateLimit", strings.Join(states, ", "))
	if refused >= 0 {
		rl.refuse(ctx, active[refused], retry)
		return
	}
	next(ctx)
}

// policyHeader is l's entry in RateLimit-Policy.
func policyHeader(l limit) string {
	return fmt.Sprintf("%q;q=%d;w=%d", l.policy, l.rule.Burst, l.rule.Window())
}

// authProbe records, for the failed-credential gate, what became of a
// request's credential inside the authentication middleware.
type authProbe struct {
	// reached: authentication let the request through.
	reached bool
	// resolved: the credential named a principal.
	resolved bool
}

type authProbeKey struct{}

// markAuthReached tells the gate, from after authentication, that the
// request got through it and whether its credential resolved.
func markAuthReached(ctx huma.Context) {
	if p, ok := ctx.Context().Value(authProbeKey{}).(*authProbe); ok {
		p.reached = true
		p.resolved = auth.FromContext(ctx.Context()) != nil
	}
}

// AuthFailureMiddleware bounds what wrong credentials cost: a request
// carrying an API key or a session cookie from a client IP whose failed
// credentials are over the AuthFailures limit is answered 429 before its
// credential is looked up (no database read). A credential fails when
// authentication answers 401, or lets a public operation through without
// a principal; a refusal for another reason (403, 503) is not a failure.
// The limit is looked at, not taken, by requests that pass: only failures
// count.
func (rl *RateLimiter) AuthFailureMiddleware(ctx huma.Context, next func(huma.Context)) {
	rule := rl.rules.AuthFailures
	if !rule.Enabled() || !presentsCredential(ctx) {
		next(ctx)
		return
	}
	l := limit{PolicyAuthFailures, "auth:failed:ip:" + rl.clientKey(ctx), rule, "this client address's failed API keys and sessions"}
	res, err := rl.limiter.Peek(ctx.Context(), l.key, rule)
	if err == nil && !res.Allowed {
		retry := ceilSeconds(res.RetryAfter)
		ctx.SetHeader("RateLimit-Policy", policyHeader(l))
		ctx.SetHeader("RateLimit", fmt.Sprintf("%q;r=0;t=%d", l.policy, retry))
		rl.refuse(ctx, l, retry)
		return
	}
	probe := &authProbe{}
	next(huma.WithValue(ctx, authProbeKey{}, probe))
	if probe.resolved || (!probe.reached && ctx.Status() != http.StatusUnauthorized) {
		return
	}
	// The answer is written; count the failure even if the client left.
	if _, err := rl.limiter.Allow(context.WithoutCancel(ctx.Context()), l.key, rule); err != nil {
		rl.log.DebugContext(ctx.Context(), "rate limit", "err", err, "policy", l.policy)
	}
}

// presentsCredential reports whether this request's credential will be
// looked up: a session cookie, or an Authorization header anywhere but on
// webhooks (which read it themselves). The Segment tracking API counts
// too: its handlers look the write key up and mark it resolved
// (markKeyResolved), so a client whose keys fail is held to the same
// budget as anywhere else, and one whose key works is not.
func presentsCredential(ctx huma.Context) bool {
	if sessionCookieValue(ctx) != "" {
		return true
	}
	op := ctx.Operation()
	if op != nil && strings.HasPrefix(op.Path, SegmentPrefix+"/") {
		return true
	}
	if op != nil && strings.HasPrefix(op.Path, webhookPathPrefix) {
		return false
	}
	return strings.TrimSpace(ctx.Header("Authorization")) != ""
}

// markKeyResolved tells the failed-credential gate, from a handler that
// checks its own key, that the key named a principal.
func markKeyResolved(ctx context.Context) {
	if p, ok := ctx.Value(authProbeKey{}).(*authProbe); ok {
		p.resolved = true
	}
}

// refuse answers 429 with a problem naming the limit.
func (rl *RateLimiter) refuse(ctx huma.Context, l limit, retry int) {
	rl.log.InfoContext(ctx.Context(), "rate limited", "policy", l.policy, "key", l.key, "request_id", RequestIDFrom(ctx.Context()))
	detail := fmt.Sprintf("rate limit %q reached: %s takes %s; retry in %d s", l.policy, l.scope, describeRule(l.rule), retry)
	se := huma.Error429TooManyRequests(detail, &huma.ErrorDetail{Location: "ratelimit", Message: "exceeded", Value: l.policy})
	body, err := json.Marshal(se)
	if err != nil {
		body = []byte(`{"title":"Too Many Requests","status":429}`)
	}
	ctx.SetHeader("Retry-After", strconv.Itoa(retry))
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetHeader("Cache-Control", "no-store")
	ctx.SetStatus(http.StatusTooManyRequests)
	_, _ = ctx.BodyWriter().Write(body)
}

// describeRule says a rule in words: "50 requests per second (bursts of
// 100)".
func describeRule(r ratelimit.Rule) string {
	per := r.Per.String()
	switch r.Per {
	case time.Second:
		per = "second"
	case time.Minute:
		per = "minute"
	case time.Hour:
		per = "hour"
	}
	return fmt.Sprintf("%d requests per %s (bursts of %d)", r.Rate, per, r.Burst)
}

// ceilSeconds rounds d up to whole seconds, at least 1.
func ceilSeconds(d time.Duration) int {
	return max(int(math.Ceil(d.Seconds())), 1)
}

// clientKey is the client address (honouring NEXTFLOW_TRUST_PROXY as the
// authentication middleware does, also before it ran); IPv6 clients are
// keyed by their /64, which one client typically holds whole.
func (rl *RateLimiter) clientKey(ctx huma.Context) string {
	ip := requestInfoFrom(ctx.Context()).IP
	if ip == "" {
		ip = clientIP(ctx, rl.trustProxy)
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}
