package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

// DefaultHTTPPorts are the ports tenant-driven outbound calls may reach by
// default: code.dny.dev/ssrf's default, 80 and 443.
const DefaultHTTPPorts = "80,443"

// Default rate limits, in ratelimit.ParseRule's form "RATE/UNIT,BURST".
const (
	DefaultRateWebhook       = "50/s,100"
	DefaultRateWebhookTenant = "200/s,400"
	// DefaultRateWebhookIP lets one client address use one workflow's
	// whole webhook budget but at most a quarter of a tenant's.
	DefaultRateWebhookIP = "50/s,100"
	DefaultRateAPI       = "100/s,200"
	DefaultRatePublic    = "10/s,20"
	// DefaultRateAuthFailures: failed credential checks per client address.
	DefaultRateAuthFailures = "10/s,50"
)

// RateLimits are the request rate limits. A zero Rule is no limit.
type RateLimits struct {
	// Webhook limits posts to one workflow's webhook
	// (NEXTFLOW_RATE_WEBHOOK, --rate-webhook).
	Webhook ratelimit.Rule
	// WebhookTenant limits posts to all of a tenant's webhooks together
	// (NEXTFLOW_RATE_WEBHOOK_TENANT, --rate-webhook-tenant).
	WebhookTenant ratelimit.Rule
	// WebhookIP limits webhook posts per client IP across all tenants,
	// checked first, so one source cannot spend a tenant's budget
	// (NEXTFLOW_RATE_WEBHOOK_IP, --rate-webhook-ip).
	WebhookIP ratelimit.Rule
	// API limits authenticated /api/v1 calls per tenant (per user for a
	// user without a workspace) (NEXTFLOW_RATE_API, --rate-api).
	API ratelimit.Rule
	// Public limits unauthenticated /api/v1 calls other than sign-in, per
	// client IP (NEXTFLOW_RATE_PUBLIC, --rate-public).
	Public ratelimit.Rule
	// AuthFailures limits credentials (API keys, session cookies) that do
	// not resolve, per client IP: past it, a request carrying a credential
	// is refused before the credential is looked up
	// (NEXTFLOW_RATE_AUTH_FAILURES, --rate-auth-failures).
	AuthFailures ratelimit.Rule
}

// rateSettings are the raw rate-limit flags.
type rateSettings struct {
	webhook, webhookTenant, webhookIP, api, public, authFailures *string
}

func rateFlags(fs *flag.FlagSet, env func(name, def string) string) rateSettings {
	const form = ` ("RATE/UNIT,BURST", e.g. 50/s,100; off disables)`
	return rateSettings{
		webhook:       fs.String("rate-webhook", env("NEXTFLOW_RATE_WEBHOOK", DefaultRateWebhook), "webhook posts per workflow"+form),
		webhookTenant: fs.String("rate-webhook-tenant", env("NEXTFLOW_RATE_WEBHOOK_TENANT", DefaultRateWebhookTenant), "webhook posts per tenant"+form),
		webhookIP:     fs.String("rate-webhook-ip", env("NEXTFLOW_RATE_WEBHOOK_IP", DefaultRateWebhookIP), "webhook posts per client IP"+form),
		api:           fs.String("rate-api", env("NEXTFLOW_RATE_API", DefaultRateAPI), "authenticated API calls per tenant"+form),
		public:        fs.String("rate-public", env("NEXTFLOW_RATE_PUBLIC", DefaultRatePublic), "unauthenticated API calls per client IP"+form),
		authFailures:  fs.String("rate-auth-failures", env("NEXTFLOW_RATE_AUTH_FAILURES", DefaultRateAuthFailures), "failed credential checks per client IP"+form),
	}
}

func (r rateSettings) parse() (RateLimits, error) {
	var out RateLimits
	for _, s := range []struct {
		name string
		raw  string
		dst  *ratelimit.Rule
	}{
		{"NEXTFLOW_RATE_WEBHOOK", *r.webhook, &out.Webhook},
		{"NEXTFLOW_RATE_WEBHOOK_TENANT", *r.webhookTenant, &out.WebhookTenant},
		{"NEXTFLOW_RATE_API", *r.api, &out.API},
		{"NEXTFLOW_RATE_PUBLIC", *r.public, &out.Public},
		{"NEXTFLOW_RATE_WEBHOOK_IP", *r.webhookIP, &out.WebhookIP},
		{"NEXTFLOW_RATE_AUTH_FAILURES", *r.authFailures, &out.AuthFailures},
	} {
		rule, err := ratelimit.ParseRule(s.raw)
		if err != nil {
			return RateLimits{}, &Error{Name: s.name, Msg: err.Error() + ` (form: RATE/UNIT,BURST such as 50/s,100, or off)`}
		}
		*s.dst = rule
	}
	return out, nil
}

// parseOutbound reads the outbound ports and the rate limits.
func (c *Config) parseOutbound(ports string, rates rateSettings) error {
	var err error
	if c.HTTPPorts, c.HTTPAnyPort, err = parsePorts(ports); err != nil {
		return &Error{Name: "NEXTFLOW_HTTP_PORTS", Msg: err.Error()}
	}
	c.RateLimits, err = rates.parse()
	return err
}

// parsePorts reads "80,443" or "any".
func parsePorts(raw string) ([]uint16, bool, error) {
	raw = strings.TrimSpace(strings.ToLower(raw))
	if raw == "any" || raw == "*" {
		return nil, true, nil
	}
	var ports []uint16
	for _, p := range strings.Split(raw, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, false, fmt.Errorf("%q is not a port (1-65535); use a comma-separated list such as 80,443 or any", p)
		}
		ports = append(ports, uint16(n))
	}
	if len(ports) == 0 {
		return nil, false, fmt.Errorf("no ports given; use a list such as 80,443 or any")
	}
	return ports, false, nil
}
