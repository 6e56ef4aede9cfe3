package auth

import (
	"context"
	"os"
	"sync"
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

func exerciseLimiter(t *testing.T, lim Limiter, clock *fakeClock) {
	ctx := context.Background()
	key := "k-" + domain.NewID().String()
	for i := 0; i < 3; i++ {
		blocked, _, err := lim.Blocked(ctx, key)
		require.NoError(t, err)
		require.False(t, blocked, "attempt %d", i)
		require.NoError(t, lim.Fail(ctx, key))
		clock.Advance(time.Second)
	}
	blocked, retry, err := lim.Blocked(ctx, key)
	require.NoError(t, err)
	require.True(t, blocked)
	require.InDelta(t, (60-3)*float64(time.Second), float64(retry), float64(10*time.Millisecond))

	other := "k-" + domain.NewID().String()
	blocked, _, err = lim.Blocked(ctx, other)
	require.NoError(t, err)
	require.False(t, blocked, "keys are independent")

	// The window slides: once the first failure is a minute old, one more
	// attempt is allowed.
	clock.Advance(57 * time.Second)
	blocked, _, err = lim.Blocked(ctx, key)
	require.NoError(t, err)
	require.False(t, blocked)
	require.NoError(t, lim.Fail(ctx, key))
	blocked, _, err = lim.Blocked(ctx, key)
	require.NoError(t, err)
	require.True(t, blocked)

	require.NoError(t, lim.Reset(ctx, key))
	blocked, _, err = lim.Blocked(ctx, key)
	require.NoError(t, err)
	require.False(t, blocked)
}

func TestMemoryLimiter(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	exerciseLimiter(t, NewMemoryLimiter(ThrottleRule{Max: 3, Window: time.Minute}, clock.Now), clock)
}

func TestMemoryLimiterBounded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	lim := NewMemoryLimiter(ThrottleRule{Max: 3, Window: time.Minute}, clock.Now)
	lim.maxKeys = 10
	for i := 0; i < 100; i++ {
		require.NoError(t, lim.Fail(context.Background(), domain.NewID().String()))
	}
	require.LessOrEqual(t, len(lim.hits), 10)
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
	lim := NewRedisLimiter(c, prefix, ThrottleRule{Max: 3, Window: time.Minute}, clock.Now)
	exerciseLimiter(t, lim, clock)
	// Two processes share the count.
	lim2 := NewRedisLimiter(c, prefix, ThrottleRule{Max: 3, Window: time.Minute}, clock.Now)
	ctx := context.Background()
	require.NoError(t, lim.Fail(ctx, "shared"))
	require.NoError(t, lim2.Fail(ctx, "shared"))
	require.NoError(t, lim.Fail(ctx, "shared"))
	blocked, _, err := lim2.Blocked(ctx, "shared")
	require.NoError(t, err)
	require.True(t, blocked)
	ttl, err := c.PTTL(ctx, lim.redisKey("shared")).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Duration(0), "keys expire")
}
