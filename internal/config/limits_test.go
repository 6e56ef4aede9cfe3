package config

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

func TestLoadLimitsDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir()}, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, []uint16{80, 443}, cfg.HTTPPorts)
	require.False(t, cfg.HTTPAnyPort)
	require.Equal(t, ratelimit.Rule{Rate: 50, Per: time.Second, Burst: 100}, cfg.RateLimits.Webhook)
	require.Equal(t, ratelimit.Rule{Rate: 200, Per: time.Second, Burst: 400}, cfg.RateLimits.WebhookTenant)
	require.Equal(t, ratelimit.Rule{Rate: 100, Per: time.Second, Burst: 200}, cfg.RateLimits.API)
	require.Equal(t, ratelimit.Rule{Rate: 10, Per: time.Second, Burst: 20}, cfg.RateLimits.Public)
	require.Equal(t, ratelimit.Rule{Rate: 50, Per: time.Second, Burst: 100}, cfg.RateLimits.WebhookIP)
	require.Equal(t, ratelimit.Rule{Rate: 10, Per: time.Second, Burst: 50}, cfg.RateLimits.AuthFailures)
	require.Less(t, cfg.RateLimits.WebhookIP.Rate, cfg.RateLimits.WebhookTenant.Rate, "one address cannot spend a tenant's budget")
}

func TestLoadLimitsSet(t *testing.T) {
	t.Parallel()
	cfg, err := Load([]string{"--data-dir", t.TempDir(), "--rate-api", "600/m,30"}, envOf(map[string]string{
		"NEXTFLOW_HTTP_PORTS":          "any",
		"NEXTFLOW_RATE_WEBHOOK":        "off",
		"NEXTFLOW_RATE_WEBHOOK_TENANT": "0",
		"NEXTFLOW_RATE_API":            "1/s",
		"NEXTFLOW_RATE_PUBLIC":         "5/10s,5",
		"NEXTFLOW_RATE_WEBHOOK_IP":     "off",
		"NEXTFLOW_RATE_AUTH_FAILURES":  "100/m,20",
	}))
	require.NoError(t, err)
	require.True(t, cfg.HTTPAnyPort)
	require.False(t, cfg.RateLimits.Webhook.Enabled())
	require.False(t, cfg.RateLimits.WebhookTenant.Enabled())
	require.Equal(t, ratelimit.Rule{Rate: 600, Per: time.Minute, Burst: 30}, cfg.RateLimits.API, "the flag wins")
	require.Equal(t, ratelimit.Rule{Rate: 5, Per: 10 * time.Second, Burst: 5}, cfg.RateLimits.Public)
	require.False(t, cfg.RateLimits.WebhookIP.Enabled())
	require.Equal(t, ratelimit.Rule{Rate: 100, Per: time.Minute, Burst: 20}, cfg.RateLimits.AuthFailures)

	cfg, err = Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_HTTP_PORTS": "443, 8443"}))
	require.NoError(t, err)
	require.Equal(t, []uint16{443, 8443}, cfg.HTTPPorts)
}

func TestLoadLimitsInvalid(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"NEXTFLOW_HTTP_PORTS":          "80,http",
		"NEXTFLOW_RATE_WEBHOOK":        "fast",
		"NEXTFLOW_RATE_WEBHOOK_TENANT": "10/s,0",
		"NEXTFLOW_RATE_API":            "10/day",
		"NEXTFLOW_RATE_PUBLIC":         "-5/s",
		"NEXTFLOW_RATE_WEBHOOK_IP":     "20/s,",
		"NEXTFLOW_RATE_AUTH_FAILURES":  "1/fortnight",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{name: value}))
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "got %v", err)
			require.Equal(t, name, cerr.Name)
			require.Contains(t, cerr.Error(), name)
		})
	}
	_, err := Load([]string{"--data-dir", t.TempDir()}, envOf(map[string]string{"NEXTFLOW_HTTP_PORTS": "70000"}))
	require.ErrorContains(t, err, "NEXTFLOW_HTTP_PORTS")
}
