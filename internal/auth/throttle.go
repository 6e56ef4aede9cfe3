package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter counts failures per key in a sliding window. Login uses one key
// per account and one per client IP.
type Limiter interface {
	// Blocked reports whether key has reached its limit, and how long until
	// the oldest counted failure leaves the window.
	Blocked(ctx context.Context, key string) (blocked bool, retryAfter time.Duration, err error)
	// Fail records a failure for key.
	Fail(ctx context.Context, key string) error
	// Reset forgets key's failures (after a successful sign-in).
	Reset(ctx context.Context, key string) error
}

// ThrottleRule is a limit of Max failures per Window.
type ThrottleRule struct {
	Max    int
	Window time.Duration
}

// Default login limits: 10 failures per account or 50 per IP in 15 minutes.
var (
	DefaultAccountRule = ThrottleRule{Max: 10, Window: 15 * time.Minute}
	DefaultIPRule      = ThrottleRule{Max: 50, Window: 15 * time.Minute}
)

// MemoryLimiter is an in-process sliding-window Limiter, for one process
// (the single-machine mode). Its memory is bounded: windows expire and the
// number of tracked keys is capped.
type MemoryLimiter struct {
	rule    ThrottleRule
	now     func() time.Time
	maxKeys int

	mu   sync.Mutex
	hits map[string][]time.Time
}

// NewMemoryLimiter returns an in-process limiter; now nil means time.Now.
func NewMemoryLimiter(rule ThrottleRule, now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{rule: rule, now: now, maxKeys: 100_000, hits: map[string][]time.Time{}}
}

func (m *MemoryLimiter) prune(key string, now time.Time) []time.Time {
	h := m.hits[key]
	cut := now.Add(-m.rule.Window)
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(m.hits, key)
		return nil
	}
	m.hits[key] = h
	return h
}

// Blocked implements Limiter.
func (m *MemoryLimiter) Blocked(_ context.Context, key string) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	h := m.prune(key, now)
	if len(h) < m.rule.Max {
		return false, 0, nil
	}
	return true, h[len(h)-m.rule.Max].Add(m.rule.Window).Sub(now), nil
}

// Fail implements Limiter.
func (m *MemoryLimiter) Fail(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if len(m.hits) >= m.maxKeys {
		for k := range m.hits {
			m.prune(k, now)
		}
		if len(m.hits) >= m.maxKeys {
			// Still full of live windows: drop an arbitrary key rather than
			// grow without bound.
			for k := range m.hits {
				delete(m.hits, k)
				break
			}
		}
	}
	h := append(m.prune(key, now), now)
	if len(h) > m.rule.Max*2 {
		h = h[len(h)-m.rule.Max*2:]
	}
	m.hits[key] = h
	return nil
}

// Reset implements Limiter.
func (m *MemoryLimiter) Reset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.hits, key)
	return nil
}

// RedisLimiter is a sliding-window Limiter shared by every process through
// Redis (a sorted set of failure times per key).
type RedisLimiter struct {
	client *redis.Client
	rule   ThrottleRule
	prefix string
	now    func() time.Time
}

// NewRedisLimiter returns a Redis-backed limiter. prefix namespaces the
// keys (e.g. "nextflow:throttle:login:account:"); now nil means time.Now.
func NewRedisLimiter(client *redis.Client, prefix string, rule ThrottleRule, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{client: client, rule: rule, prefix: prefix, now: now}
}

// NewRedisLoginLimiters returns the sign-in limiters (per account, per IP)
// over Redis, shared by every process, with the default rules.
func NewRedisLoginLimiters(client *redis.Client) (account, ip Limiter) {
	return NewRedisLimiter(client, "nextflow:throttle:account:", DefaultAccountRule, nil),
		NewRedisLimiter(client, "nextflow:throttle:ip:", DefaultIPRule, nil)
}

// redisKey hashes key (an email or IP address) so Redis holds no personal
// data in clear.
func (r *RedisLimiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}

// Blocked implements Limiter.
func (r *RedisLimiter) Blocked(ctx context.Context, key string) (bool, time.Duration, error) {
	k := r.redisKey(key)
	now := r.now()
	pipe := r.client.TxPipeline()
	pipe.ZRemRangeByScore(ctx, k, "-inf", strconv.FormatInt(now.Add(-r.rule.Window).UnixMicro(), 10))
	card := pipe.ZCard(ctx, k)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, 0, fmt.Errorf("throttle %s: %w", key, err)
	}
	n := card.Val()
	if n < int64(r.rule.Max) {
		return false, 0, nil
	}
	// The failure that must leave the window before another try is allowed.
	oldest, err := r.client.ZRangeWithScores(ctx, k, n-int64(r.rule.Max), n-int64(r.rule.Max)).Result()
	if err != nil {
		return false, 0, fmt.Errorf("throttle %s: %w", key, err)
	}
	retry := r.rule.Window
	if len(oldest) == 1 {
		retry = time.UnixMicro(int64(oldest[0].Score)).Add(r.rule.Window).Sub(now)
	}
	return true, retry, nil
}

// Fail implements Limiter.
func (r *RedisLimiter) Fail(ctx context.Context, key string) error {
	k := r.redisKey(key)
	now := r.now()
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	member := strconv.FormatInt(now.UnixNano(), 10) + ":" + hex.EncodeToString(nonce[:])
	pipe := r.client.TxPipeline()
	pipe.ZAdd(ctx, k, redis.Z{Score: float64(now.UnixMicro()), Member: member})
	pipe.ZRemRangeByScore(ctx, k, "-inf", strconv.FormatInt(now.Add(-r.rule.Window).UnixMicro(), 10))
	// Keep the set small: only the newest 2×Max failures matter.
	pipe.ZRemRangeByRank(ctx, k, 0, -int64(r.rule.Max*2)-1)
	pipe.PExpire(ctx, k, r.rule.Window)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("throttle %s: %w", key, err)
	}
	return nil
}

// Reset implements Limiter.
func (r *RedisLimiter) Reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.redisKey(key)).Err(); err != nil {
		return fmt.Errorf("throttle reset %s: %w", key, err)
	}
	return nil
}
