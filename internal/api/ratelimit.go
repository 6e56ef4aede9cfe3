package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

// Rate-limit policy names, as they appear in the RateLimit-Policy and
// RateLimit headers and in 429 problems.
const (
	PolicyWebhook       = "webhook"
	PolicyWebhookTenant = "webhook-tenant"
	PolicyAPI           = "api"
	PolicyPublic        = "public"
)

// webhookPathPrefix marks the webhook operations, limited before
// authentication, body parsing and the signature check.
const webhookPathPrefix = "/webhooks/"

// RateLimiter limits webhook posts per workflow and per tenant, and API
// calls per tenant (authenticated) or per client IP (unauthenticated,
// sign-in aside: it has its own throttle). Every answer it lets through
// carries RateLimit-Policy and RateLimit headers (IETF
// draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem naming
// the limit, with Retry-After.
type RateLimiter struct {
	limiter ratelimit.Limiter
	rules   config.RateLimits
	log     *slog.Logger
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
// (before authentication), the API limits after authentication, which
// tells the tenant. Call it after Accounts.Install.
func (rl *RateLimiter) Install(deps *Deps) {
	deps.Middleware = append([]func(huma.Context, func(huma.Context)){rl.WebhookMiddleware}, deps.Middleware...)
	deps.Middleware = append(deps.Middleware, rl.APIMiddleware)
}

// limit is one policy applied to one key.
type limit struct {
	policy string
	key    string
	rule   ratelimit.Rule
	// scope completes "… takes N requests per …" in the refusal.
	scope string
}

// WebhookMiddleware limits posts to /webhooks/{tenantId}/{id}: per workflow,
// then per tenant across all its webhooks.
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
		limit{PolicyWebhook, "webhook:workflow:" + tenantID.String() + ":" + workflowID.String(), rl.rules.Webhook, "this workflow's webhook"},
		limit{PolicyWebhookTenant, "webhook:tenant:" + tenantID.String(), rl.rules.WebhookTenant, "this workspace's webhooks together"},
	)
}

// APIMiddleware limits /api/v1 operations: per tenant when authenticated
// (per user for a user without a workspace), per client IP otherwise.
// Sign-in, the health checks and webhooks are not limited here.
func (rl *RateLimiter) APIMiddleware(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || strings.HasPrefix(op.Path, webhookPathPrefix) || op.OperationID == "login" ||
		op.Path == "/healthz" || op.Path == "/readyz" {
		next(ctx)
		return
	}
	if c, ok := CallerFrom(ctx.Context()); ok && !metaBool(op, MetaPublic) {
		rl.apply(ctx, next, limit{PolicyAPI, "api:tenant:" + c.TenantID.String(), rl.rules.API, "this workspace"})
		return
	}
	if p := auth.FromContext(ctx.Context()); p != nil && !metaBool(op, MetaPublic) {
		if id := p.UserID(); id != nil {
			rl.apply(ctx, next, limit{PolicyAPI, "api:user:" + id.String(), rl.rules.API, "this account"})
			return
		}
	}
	rl.apply(ctx, next, limit{PolicyPublic, "public:ip:" + clientKey(ctx), rl.rules.Public, "this client address without signing in"})
}

// apply takes one unit of each limit in order, stopping at the first
// refusal, and answers 429 or calls next with the headers set.
func (rl *RateLimiter) apply(ctx huma.Context, next func(huma.Context), limits ...limit) {
	var policies, states []string
	for _, l := range limits {
		if !l.rule.Enabled() {
			continue
		}
		policies = append(policies, fmt.Sprintf("%q;q=%d;w=%d", l.policy, l.rule.Burst, l.rule.Window()))
	}
	if len(policies) == 0 {
		next(ctx)
		return
	}
	ctx.SetHeader("RateLimit-Policy", strings.Join(policies, ", "))
	for _, l := range limits {
		if !l.rule.Enabled() {
			continue
		}
		res, err := rl.limiter.Allow(ctx.Context(), l.key, l.rule)
		if err != nil {
			// Only a cancelled request gets here (Redis failures fall back
			// in process): let it end on its own.
			rl.log.DebugContext(ctx.Context(), "rate limit", "err", err, "policy", l.policy)
			next(ctx)
			return
		}
		if !res.Allowed {
			retry := ceilSeconds(res.RetryAfter)
			states = append(states, fmt.Sprintf("%q;r=0;t=%d", l.policy, retry))
			ctx.SetHeader("RateLimit", strings.Join(states, ", "))
			rl.refuse(ctx, l, retry)
			return
		}
		states = append(states, fmt.Sprintf("%q;r=%d;t=%d", l.policy, res.Remaining, ceilSeconds(res.Reset)))
	}
	ctx.SetHeader("RateLimit", strings.Join(states, ", "))
	next(ctx)
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

// clientKey is the client address the authentication middleware saw
// (honouring NEXTFLOW_TRUST_PROXY); IPv6 clients are keyed by their /64,
// which one client typically holds whole.
func clientKey(ctx huma.Context) string {
	ip := requestInfoFrom(ctx.Context()).IP
	if ip == "" {
		ip = ctx.RemoteAddr()
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
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
