package app

import (
	"context"
	"time"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

// loginLimiterSwitch throttles sign-ins through Redis while it is up and in
// process while it is down (redisconn.Conn.Up), so an outage costs no
// Redis timeout per sign-in. The Redis limiter still falls back by itself
// when a call fails before the switch knows.
type loginLimiterSwitch struct {
	up    func() bool
	redis auth.Limiter
	local auth.Limiter
}

func (s loginLimiterSwitch) pick() auth.Limiter {
	if s.up() {
		return s.redis
	}
	return s.local
}

// Take implements auth.Limiter.
func (s loginLimiterSwitch) Take(ctx context.Context, keys ...auth.LimitKey) (time.Duration, error) {
	return s.pick().Take(ctx, keys...)
}

// Reset implements auth.Limiter: both forget, so a sign-in during an
// outage is not held against the account when Redis returns, nor the
// reverse.
func (s loginLimiterSwitch) Reset(ctx context.Context, keys ...string) error {
	_ = s.local.Reset(ctx, keys...)
	if s.up() {
		return s.redis.Reset(ctx, keys...)
	}
	return nil
}

// Refund implements auth.Refunder: a successful sign-in takes its attempt
// back from the limiter that counted it (the per-IP counter must not grow
// with an office's own sign-ins).
func (s loginLimiterSwitch) Refund(ctx context.Context, keys ...string) error {
	if r, ok := s.pick().(auth.Refunder); ok {
		return r.Refund(ctx, keys...)
	}
	return nil
}

var _ auth.Refunder = loginLimiterSwitch{}

// rateLimiterSwitch limits requests through Redis while it is up and with
// local (the Redis limiter's own fallback, so counts carry over) while it
// is down.
type rateLimiterSwitch struct {
	up    func() bool
	redis ratelimit.Limiter
	local ratelimit.Limiter
}

// Allow implements ratelimit.Limiter.
func (s rateLimiterSwitch) Allow(ctx context.Context, key string, rule ratelimit.Rule) (ratelimit.Result, error) {
	if s.up() {
		return s.redis.Allow(ctx, key, rule)
	}
	return s.local.Allow(ctx, key, rule)
}

// AllowAll implements ratelimit.Limiter.
func (s rateLimiterSwitch) AllowAll(ctx context.Context, reqs ...ratelimit.Request) ([]ratelimit.Result, error) {
	if s.up() {
		return s.redis.AllowAll(ctx, reqs...)
	}
	return s.local.AllowAll(ctx, reqs...)
}

// Peek implements ratelimit.Limiter.
func (s rateLimiterSwitch) Peek(ctx context.Context, key string, rule ratelimit.Rule) (ratelimit.Result, error) {
	if s.up() {
		return s.redis.Peek(ctx, key, rule)
	}
	return s.local.Peek(ctx, key, rule)
}
