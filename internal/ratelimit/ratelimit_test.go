package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

func TestParseRule(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]ratelimit.Rule{
		"50/s,100":   {Rate: 50, Per: time.Second, Burst: 100},
		" 600/m, 50": {Rate: 600, Per: time.Minute, Burst: 50},
		"5/10s":      {Rate: 5, Per: 10 * time.Second, Burst: 5},
		"100/h,1":    {Rate: 100, Per: time.Hour, Burst: 1},
		"off":        {},
		"0":          {},
		"":           {},
		"0/s,10":     {},
	} {
		got, err := ratelimit.ParseRule(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"50", "x/s", "-1/s", "5/d", "5/s,0", "5/s,x", "5/-1s", "2000000/ms"} {
		_, err := ratelimit.ParseRule(in)
		require.Error(t, err, in)
	}
	r := ratelimit.Rule{Rate: 50, Per: time.Second, Burst: 100}
	require.Equal(t, "50/s,100", r.String())
	require.Equal(t, 2, r.Window())
	require.Equal(t, 20*time.Millisecond, r.Interval())
	require.Equal(t, 100, ratelimit.Rule{Rate: 3, Per: time.Minute, Burst: 5}.Window())
	require.Equal(t, "off", ratelimit.Rule{}.String())
}

// clock is a settable clock for the in-process limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMemoryGCRA(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clk.Now})
	ctx := context.Background()
	rule := ratelimit.Rule{Rate: 10, Per: time.Second, Burst: 3}
	for i := range 3 {
		r, err := m.Allow(ctx, "k", rule)
		require.NoError(t, err)
		require.True(t, r.Allowed)
		require.Equal(t, 2-i, r.Remaining)
		require.Equal(t, 3, r.Limit)
		require.Equal(t, time.Duration(i+1)*100*time.Millisecond, r.Reset)
	}
	r, err := m.Allow(ctx, "k", rule)
	require.NoError(t, err)
	require.False(t, r.Allowed)
	require.Equal(t, 100*time.Millisecond, r.RetryAfter)
	require.Equal(t, 300*time.Millisecond, r.Reset)
	// Other keys are unaffected.
	r, _ = m.Allow(ctx, "other", rule)
	require.True(t, r.Allowed)
	// After RetryAfter, one more is allowed; after Reset, the whole burst.
	clk.Add(100 * time.Millisecond)
	r, _ = m.Allow(ctx, "k", rule)
	require.True(t, r.Allowed)
	require.Zero(t, r.Remaining)
	clk.Add(time.Second)
	r, _ = m.Allow(ctx, "k", rule)
	require.True(t, r.Allowed)
	require.Equal(t, 2, r.Remaining)
	// A disabled rule allows everything.
	r, _ = m.Allow(ctx, "k", ratelimit.Rule{})
	require.True(t, r.Allowed)
}

func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{MaxKeys: 64, Now: clk.Now})
	rule := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 1}
	for i := range 20_000 {
		r, err := m.Allow(context.Background(), fmt.Sprint("ip:", i), rule)
		require.NoError(t, err)
		require.True(t, r.Allowed)
	}
	require.LessOrEqual(t, m.Len(), 64)
}

// eachLimiter runs fn on the in-process limiter and on Redis.
func eachLimiter(t *testing.T, fn func(t *testing.T, l ratelimit.Limiter)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		fn(t, ratelimit.NewMemory(ratelimit.MemoryOptions{}))
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		rdb := execlocktest.Redis(t)
		fn(t, ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: "nextflow:test:" + uuid.NewString() + ":ratelimit:"}))
	})
}

// TestConcurrentTakesNeverExceedBurst: N parallel takes on one key are
// allowed at most Burst times.
func TestConcurrentTakesNeverExceedBurst(t *testing.T) {
	t.Parallel()
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		rule := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 25}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range 200 {
			wg.Go(func() {
				r, err := l.Allow(context.Background(), "hot", rule)
				if err == nil && r.Allowed {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		require.EqualValues(t, 25, allowed.Load())
	})
}

func TestAllowedAgainAfterWaiting(t *testing.T) {
	t.Parallel()
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		rule := ratelimit.Rule{Rate: 20, Per: time.Second, Burst: 2}
		for range 2 {
			r, err := l.Allow(ctx, "k", rule)
			require.NoError(t, err)
			require.True(t, r.Allowed)
		}
		r, err := l.Allow(ctx, "k", rule)
		require.NoError(t, err)
		require.False(t, r.Allowed)
		require.Zero(t, r.Remaining)
		require.Positive(t, r.RetryAfter)
		require.LessOrEqual(t, r.RetryAfter, 50*time.Millisecond)
		require.LessOrEqual(t, r.Reset, 100*time.Millisecond)
		other, err := l.Allow(ctx, "k2", rule)
		require.NoError(t, err)
		require.True(t, other.Allowed)
		require.Equal(t, 1, other.Remaining)
		time.Sleep(r.RetryAfter + 5*time.Millisecond)
		r, err = l.Allow(ctx, "k", rule)
		require.NoError(t, err)
		require.True(t, r.Allowed)
	})
}

// TestRedisSharedAcrossNodes: two limiters on one Redis (two nodes) share
// the budget.
func TestRedisSharedAcrossNodes(t *testing.T) {
	t.Parallel()
	rdb := execlocktest.Redis(t)
	prefix := "nextflow:test:" + uuid.NewString() + ":ratelimit:"
	a := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
	b := ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: prefix})
	rule := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 4}
	n := 0
	for i := range 10 {
		l := ratelimit.Limiter(a)
		if i%2 == 1 {
			l = b
		}
		r, err := l.Allow(context.Background(), "tenant:x", rule)
		require.NoError(t, err)
		if r.Allowed {
			n++
		}
	}
	require.Equal(t, 4, n)
	// One key, hashed (no tenant or IP in clear), expiring when the
	// allowance has come back.
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	require.NotContains(t, keys[0], "tenant")
	ttl, err := rdb.PTTL(context.Background(), keys[0]).Result()
	require.NoError(t, err)
	require.Positive(t, ttl)
	require.LessOrEqual(t, ttl, 4*time.Hour+time.Second)
}

// TestRedisDownFallsBack: with Redis unreachable the limits still hold,
// in process.
func TestRedisDownFallsBack(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewRedis(execlocktest.ClosedRedis(t), ratelimit.RedisOptions{})
	rule := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}
	n := 0
	for range 10 {
		r, err := l.Allow(context.Background(), "k", rule)
		require.NoError(t, err)
		if r.Allowed {
			n++
		}
	}
	require.Equal(t, 3, n)
}
