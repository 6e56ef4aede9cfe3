package auth

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testRule = BackoffRule{Free: 3, Base: time.Second, Max: 8 * time.Second, Forget: time.Minute}

func TestBackoffRuleDelay(t *testing.T) {
	t.Parallel()
	r := BackoffRule{Free: 5, Base: time.Second, Max: 15 * time.Minute}
	for n, want := range map[int]time.Duration{
		0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 14: 512 * time.Second,
		15: 15 * time.Minute, 16: 15 * time.Minute, 100: 15 * time.Minute, 1 << 30: 15 * time.Minute,
	} {
		require.Equal(t, want, r.Delay(n), "n=%d", n)
	}
}

func exerciseLimiter(t *testing.T, lim Limiter, clock *fakeClock) {
	ctx := context.Background()
	key := LimitKey{Key: "k-" + domain.NewID().String(), Rule: testRule}
	take := func(keys ...LimitKey) time.Duration {
		t.Helper()
		wait, err := lim.Take(ctx, keys...)
		require.NoError(t, err)
		return wait
	}
	for i := 0; i < 3; i++ {
		require.Zero(t, take(key), "free attempt %d", i)
	}
	// Backoff: 1 s after the third failure, then 2 s, 4 s, capped at 8 s.
	require.Equal(t, time.Second, take(key))
	clock.Advance(400 * time.Millisecond)
	require.Equal(t, 600*time.Millisecond, take(key), "a refused attempt is not counted")
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		clock.Advance(d)
		require.Zero(t, take(key))
	}
	require.Equal(t, 8*time.Second, take(key), "capped")

	// Keys are independent; an attempt charged to several keys is refused
	// as a whole when one of them asks to wait, and then counts on none.
	other := LimitKey{Key: "k-" + domain.NewID().String(), Rule: testRule}
	for i := 0; i < 10; i++ {
		require.Equal(t, 8*time.Second, take(other, key))
	}
	for i := 0; i < 3; i++ {
		require.Zero(t, take(other), "other is untouched")
	}
	require.Equal(t, time.Second, take(other))

	// Counts are forgotten a Forget after the latest failure.
	clock.Advance(time.Minute)
	for i := 0; i < 3; i++ {
		require.Zero(t, take(key, other))
	}
	require.Equal(t, time.Second, take(key))

	require.NoError(t, lim.Reset(ctx, key.Key, other.Key))
	require.Zero(t, take(key))
	require.Zero(t, take(other))

	// Refund takes one attempt back, never below zero.
	r := lim.(Refunder)
	third := LimitKey{Key: "k-" + domain.NewID().String(), Rule: testRule}
	require.NoError(t, r.Refund(ctx, third.Key), "an unknown key")
	for i := 0; i < 3; i++ {
		require.Zero(t, take(third))
	}
	require.Equal(t, time.Second, take(third))
	require.NoError(t, r.Refund(ctx, third.Key))
	require.Zero(t, take(third), "one attempt was taken back")
	require.Equal(t, time.Second, take(third))
	require.NoError(t, r.Refund(ctx, third.Key, third.Key, third.Key, third.Key, third.Key))
	for i := 0; i < 3; i++ {
		require.Zero(t, take(third), "back to zero, not below")
	}
	require.Equal(t, time.Second, take(third))
}

// exerciseAtomic makes 40 parallel attempts on one key with 10 free: the
// check and the count are one step, so exactly 10 go ahead.
func exerciseAtomic(t *testing.T, lims ...Limiter) {
	ctx := context.Background()
	rule := BackoffRule{Free: 10, Base: time.Minute, Max: time.Hour, Forget: time.Hour}
	key := LimitKey{Key: "k-" + domain.NewID().String(), Rule: rule}
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			wait, err := lims[i%len(lims)].Take(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				allowed.Add(1)
			} else {
				refused.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	require.EqualValues(t, 10, allowed.Load())
	require.EqualValues(t, 30, refused.Load())
}

func TestMemoryLimiter(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	exerciseLimiter(t, NewMemoryLimiter(clock.Now), clock)
}

func TestMemoryLimiterAtomic(t *testing.T) {
	t.Parallel()
	exerciseAtomic(t, NewMemoryLimiter(nil))
}

func TestMemoryLimiterBounded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	lim := NewMemoryLimiter(clock.Now)
	lim.maxKeys = 10
	for i := 0; i < 100; i++ {
		_, err := lim.Take(context.Background(), LimitKey{Key: domain.NewID().String(), Rule: testRule})
		require.NoError(t, err)
	}
	require.LessOrEqual(t, len(lim.entries), 10)
}

// testRedis returns a client of the test Redis, or skips (fails under CI).
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	raw := os.Getenv("NEXTFLOW_TEST_REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(raw)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s: %v", raw, err)
		}
		t.Skipf("redis at %s unavailable: %v", raw, err)
	}
	return c
}

func TestRedisLimiter(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	clock := newFakeClock()
	prefix := "nextflow:test:throttle:" + domain.NewID().String() + ":"
	lim := NewRedisLimiter(c, prefix, clock.Now)
	exerciseLimiter(t, lim, clock)
	// Two processes share the count.
	lim2 := NewRedisLimiter(c, prefix, clock.Now)
	ctx := context.Background()
	shared := LimitKey{Key: "shared", Rule: testRule}
	for _, l := range []Limiter{lim, lim2, lim} {
		wait, err := l.Take(ctx, shared)
		require.NoError(t, err)
		require.Zero(t, wait)
	}
	wait, err := lim2.Take(ctx, shared)
	require.NoError(t, err)
	require.Equal(t, time.Second, wait)
	ttl, err := c.PTTL(ctx, lim.redisKey("shared")).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0), "keys expire")
	require.LessOrEqual(t, ttl, testRule.Forget)
	keys, err := c.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	for _, k := range keys {
		require.NotContains(t, k, "shared", "keys are hashed")
	}
}

func TestRedisLimiterAtomic(t *testing.T) {
	t.Parallel()
	c := testRedis(t)
	prefix := "nextflow:test:throttle:" + domain.NewID().String() + ":"
	// Two limiters: two processes sharing one Redis.
	exerciseAtomic(t, NewRedisLimiter(c, prefix, nil), NewRedisLimiter(c, prefix, nil))
}
