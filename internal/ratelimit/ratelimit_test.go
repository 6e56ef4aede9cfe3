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
		// A generous timeout: a call that times out on a loaded machine
		// would be decided by the in-process fallback, with its own counts.
		fn(t, ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: "nextflow:test:" + uuid.NewString() + ":ratelimit:", Timeout: 30 * time.Second}))
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

// TestAllowAllAllOrNothing: an event refused by one key is counted against
// none, so a tenant's spent budget does not use up a workflow's.
func TestAllowAllAllOrNothing(t *testing.T) {
	t.Parallel()
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		wide := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 5}
		narrow := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 2}
		off := ratelimit.Rule{}
		reqs := []ratelimit.Request{{Key: "workflow", Rule: wide}, {Key: "off", Rule: off}, {Key: "tenant", Rule: narrow}}
		for i := range 2 {
			res, err := l.AllowAll(ctx, reqs...)
			require.NoError(t, err)
			require.True(t, ratelimit.AllAllowed(res))
			require.Equal(t, 4-i, res[0].Remaining)
			require.Equal(t, 1-i, res[2].Remaining)
		}
		for range 5 {
			res, err := l.AllowAll(ctx, reqs...)
			require.NoError(t, err)
			require.False(t, ratelimit.AllAllowed(res))
			require.True(t, res[0].Allowed, "the workflow would allow it")
			require.Equal(t, 3, res[0].Remaining, "and was not charged")
			require.True(t, res[1].Allowed)
			require.False(t, res[2].Allowed)
			require.Greater(t, res[2].RetryAfter, 3000*time.Second)
		}
		p, err := l.Peek(ctx, "workflow", wide)
		require.NoError(t, err)
		require.True(t, p.Allowed)
		require.Equal(t, 3, p.Remaining)
		// The workflow alone still has its 3.
		for range 3 {
			r, err := l.Allow(ctx, "workflow", wide)
			require.NoError(t, err)
			require.True(t, r.Allowed)
		}
		r, err := l.Allow(ctx, "workflow", wide)
		require.NoError(t, err)
		require.False(t, r.Allowed)
	})
}

// TestPeekCountsNothing: looking never uses up the budget.
func TestPeekCountsNothing(t *testing.T) {
	t.Parallel()
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		rule := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}
		for range 10 {
			p, err := l.Peek(ctx, "k", rule)
			require.NoError(t, err)
			require.True(t, p.Allowed)
			require.Equal(t, 3, p.Remaining)
			require.Zero(t, p.Reset)
		}
		for range 3 {
			r, err := l.Allow(ctx, "k", rule)
			require.NoError(t, err)
			require.True(t, r.Allowed)
		}
		p, err := l.Peek(ctx, "k", rule)
		require.NoError(t, err)
		require.False(t, p.Allowed)
		require.Greater(t, p.RetryAfter, 3000*time.Second)
		require.Zero(t, p.Remaining)
	})
}

// TestConcurrentAllowAllAtomic: 400 parallel posts from 10 clients to one
// tenant are counted all or nothing: the tenant allows exactly its burst,
// no client more than its own, and the counts agree afterwards.
func TestConcurrentAllowAllAtomic(t *testing.T) {
	t.Parallel()
	eachLimiter(t, func(t *testing.T, l ratelimit.Limiter) {
		ctx := context.Background()
		client := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 2}
		tenant := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 15}
		var mu sync.Mutex
		perClient := map[int]int{}
		var wg sync.WaitGroup
		for i := range 400 {
			wg.Go(func() {
				res, err := l.AllowAll(ctx, ratelimit.Request{Key: fmt.Sprint("ip:", i%10), Rule: client}, ratelimit.Request{Key: "tenant", Rule: tenant})
				if err == nil && ratelimit.AllAllowed(res) {
					mu.Lock()
					perClient[i%10]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		total := 0
		for ip, n := range perClient {
			require.LessOrEqual(t, n, 2, "client %d", ip)
			total += n
		}
		require.Equal(t, 15, total)
		// Clients refused because the tenant was spent kept their budget.
		left := 0
		for ip := range 10 {
			p, err := l.Peek(ctx, fmt.Sprint("ip:", ip), client)
			require.NoError(t, err)
			left += p.Remaining
		}
		require.Equal(t, 20-15, left)
	})
}

// TestRedisDownAllowAllFallsBack: with Redis unreachable, AllowAll and
// Peek decide in process, all or nothing still.
func TestRedisDownAllowAllFallsBack(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewRedis(execlocktest.ClosedRedis(t), ratelimit.RedisOptions{})
	a := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 3}
	b := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 1}
	ctx := context.Background()
	res, err := l.AllowAll(ctx, ratelimit.Request{Key: "a", Rule: a}, ratelimit.Request{Key: "b", Rule: b})
	require.NoError(t, err)
	require.True(t, ratelimit.AllAllowed(res))
	res, err = l.AllowAll(ctx, ratelimit.Request{Key: "a", Rule: a}, ratelimit.Request{Key: "b", Rule: b})
	require.NoError(t, err)
	require.False(t, ratelimit.AllAllowed(res))
	p, err := l.Peek(ctx, "a", a)
	require.NoError(t, err)
	require.Equal(t, 2, p.Remaining)
}

// TestMemoryRefusalsAndPeeksKeepNoState: looking, and posts refused by
// another key, add no keys, so a flood of refused requests to random keys
// costs no memory; counted ones stay within MaxKeys.
func TestMemoryRefusalsAndPeeksKeepNoState(t *testing.T) {
	t.Parallel()
	m := ratelimit.NewMemory(ratelimit.MemoryOptions{MaxKeys: 64})
	ctx := context.Background()
	one := ratelimit.Rule{Rate: 1, Per: time.Hour, Burst: 1}
	for i := range 1000 {
		_, err := m.Peek(ctx, fmt.Sprint("peek:", i), one)
		require.NoError(t, err)
	}
	require.Zero(t, m.Len())
	res, err := m.AllowAll(ctx, ratelimit.Request{Key: "ip", Rule: one})
	require.NoError(t, err)
	require.True(t, ratelimit.AllAllowed(res))
	for i := range 1000 {
		res, err := m.AllowAll(ctx, ratelimit.Request{Key: "ip", Rule: one}, ratelimit.Request{Key: fmt.Sprint("workflow:", i), Rule: one})
		require.NoError(t, err)
		require.False(t, ratelimit.AllAllowed(res))
	}
	require.Equal(t, 1, m.Len())
	for i := range 1000 {
		_, err := m.AllowAll(ctx, ratelimit.Request{Key: fmt.Sprint("a:", i), Rule: one}, ratelimit.Request{Key: fmt.Sprint("b:", i), Rule: one})
		require.NoError(t, err)
	}
	require.LessOrEqual(t, m.Len(), 64)
}
