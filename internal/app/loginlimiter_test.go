package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
)

// TestLoginLimiterSwitchRefunds: the switch forwards Refund to the limiter
// in use, so a successful sign-in is taken back from the per-IP counter
// in Redis mode too.
func TestLoginLimiterSwitchRefunds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	local := auth.NewMemoryLimiter(nil)
	sw := loginLimiterSwitch{up: func() bool { return false }, redis: auth.NewMemoryLimiter(nil), local: local}
	key := auth.LimitKey{Key: "ip", Rule: auth.BackoffRule{Free: 1, Base: time.Hour, Max: time.Hour, Forget: time.Hour}}
	wait, err := sw.Take(ctx, key)
	require.NoError(t, err)
	require.Zero(t, wait)
	require.NoError(t, sw.Refund(ctx, key.Key))
	wait, err = local.Take(ctx, key)
	require.NoError(t, err)
	require.Zero(t, wait, "the attempt was taken back")
}
