package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// BackoffRule is the throttle of one counter of failed attempts: Free
// failures cost nothing, then each further attempt must wait Base after
// the previous one, doubling with every failure, up to Max. Failures are
// forgotten once none has happened for Forget, and all of them on a
// successful sign-in.
type BackoffRule struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Delay is how long after the latest of n counted failures the next
// attempt must wait.
func (r BackoffRule) Delay(n int) time.Duration {
	if n < r.Free {
		return 0
	}
	k := n - r.Free
	if k >= 40 {
		return r.Max
	}
	d := r.Base << k
	if d > r.Max || d <= 0 {
		return r.Max
	}
	return d
}

// LoginPolicy is the sign-in throttle. Every password check is charged,
// before it runs and in one atomic step, to three counters:
//
//   - Client, keyed by (account, client IP): the strict one. Five free
//     failures, then 1 s, 2 s, 4 s … up to 15 minutes between attempts.
//     It stops one client guessing one account without touching anyone
//     else: the owner signing in from another address is not affected.
//   - Account, keyed by account across all clients: the ceiling against
//     guessing from many addresses. It is loose (20 free failures) and it
//     slows rather than locks: the wait it asks for never exceeds 30 s, so
//     an attacker can never keep the owner out for long, and attempts it
//     refuses are not counted.
//   - IP, keyed by client IP across all accounts: against one address
//     spraying many accounts (50 free failures, then up to 15 minutes).
//
// An attempt any counter refuses is answered 429 with Retry-After, counts
// nowhere and checks no password. A successful sign-in forgets the
// Client and Account counters and takes its own attempt back from the IP
// counter (see Refunder; it does not reset it, or an attacker could clear
// their address's failures by signing in to an account of their own).
// Unknown emails are throttled exactly like known ones, so the throttle
// reveals nothing.
//
// Signup charges each sign-up to its own per-IP counter (a sign-up tells
// whether an email is registered, so it must not be a free oracle).
type LoginPolicy struct {
	Client  BackoffRule
	Account BackoffRule
	IP      BackoffRule
	Signup  BackoffRule
}

// DefaultLoginPolicy is the sign-in throttle of a server.
var DefaultLoginPolicy = LoginPolicy{
	Client:  BackoffRule{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour},
	Account: BackoffRule{Free: 20, Base: time.Second, Max: 30 * time.Second, Forget: time.Hour},
	IP:      BackoffRule{Free: 50, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour},
	Signup:  BackoffRule{Free: 50, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour},
}

// LimitKey is a counter an attempt is charged to, under its rule.
type LimitKey struct {
	Key  string
	Rule BackoffRule
}

// Limiter counts failed attempts per key under backoff rules. Take is
// atomic (check and count in one step), so parallel attempts cannot all
// pass a check made before any of them was counted.
type Limiter interface {
	// Take checks every key and, only when none of them asks to wait,
	// counts one attempt on each, in one atomic step. It returns 0 when
	// the attempt may go ahead, else how long to wait (and counts nothing).
	// An attempt that turns out to succeed is forgotten with Reset.
	Take(ctx context.Context, keys ...LimitKey) (wait time.Duration, err error)
	// Reset forgets keys' counted attempts.
	Reset(ctx context.Context, keys ...string) error
}

// Refunder is a Limiter that can take back one counted attempt per key:
// a sign-in that succeeded is refunded to the per-IP counter, so that an
// office behind one address is not slowed by its colleagues' successful
// sign-ins, while failures keep counting. MemoryLimiter and RedisLimiter
// are Refunders; a Limiter that wraps them should forward Refund.
type Refunder interface {
	// Refund takes back one counted attempt of each key (never below
	// zero; the time of the latest attempt stays).
	Refund(ctx context.Context, keys ...string) error
}

// MemoryLimiter is an in-process Limiter, for one process (the
// single-machine mode). Its memory is bounded: counters expire and the
// number of tracked keys is capped.
type MemoryLimiter struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	entries map[string]memoryEntry
}

type memoryEntry struct {
	n      int
	last   time.Time
	forget time.Duration
}

// NewMemoryLimiter returns an in-process limiter; now nil means time.Now.
func NewMemoryLimiter(now func() time.Time) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	return &MemoryLimiter{now: now, maxKeys: 100_000, entries: map[string]memoryEntry{}}
}

// Take implements Limiter.
func (m *MemoryLimiter) Take(_ context.Context, keys ...LimitKey) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var wait time.Duration
	counts := make([]int, len(keys))
	for i, k := range keys {
		e, ok := m.entries[k.Key]
		if !ok || now.Sub(e.last) >= k.Rule.Forget {
			continue
		}
		counts[i] = e.n
		if w := e.last.Add(k.Rule.Delay(e.n)).Sub(now); w > wait {
			wait = w
		}
	}
	if wait > 0 {
		return wait, nil
	}
	for i, k := range keys {
		if _, ok := m.entries[k.Key]; !ok && len(m.entries) >= m.maxKeys {
			m.evict(now)
		}
		m.entries[k.Key] = memoryEntry{n: min(counts[i]+1, k.Rule.Free+64), last: now, forget: k.Rule.Forget}
	}
	return 0, nil
}

// evict makes room for a key: it drops forgotten counters, and when all
// are live, an arbitrary tenth of them rather than grow without bound.
func (m *MemoryLimiter) evict(now time.Time) {
	for k, e := range m.entries {
		if now.Sub(e.last) >= e.forget {
			delete(m.entries, k)
		}
	}
	drop := m.maxKeys/10 + 1
	for k := range m.entries {
		if len(m.entries) < m.maxKeys || drop == 0 {
			return
		}
		delete(m.entries, k)
		drop--
	}
}

// Reset implements Limiter.
func (m *MemoryLimiter) Reset(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.entries, k)
	}
	return nil
}

// Refund implements Refunder.
func (m *MemoryLimiter) Refund(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		e, ok := m.entries[k]
		switch {
		case !ok:
		case e.n <= 1:
			delete(m.entries, k)
		default:
			e.n--
			m.entries[k] = e
		}
	}
	return nil
}

// DefaultRedisThrottlePrefix namespaces the throttle's Redis keys.
const DefaultRedisThrottlePrefix = "nextflow:throttle:"

// RedisLimiter is a Limiter shared by every process through Redis: one
// hash (count, time of the latest failure) per key, checked and counted by
// one Lua script, so it is atomic across processes too.
type RedisLimiter struct {
	client *redis.Client
	prefix string
	now    func() time.Time
}

// NewRedisLimiter returns a Redis-backed limiter. prefix namespaces the
// keys (DefaultRedisThrottlePrefix); now nil means time.Now.
func NewRedisLimiter(client *redis.Client, prefix string, now func() time.Time) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	return &RedisLimiter{client: client, prefix: prefix, now: now}
}

// redisKey hashes key (it holds an email or an IP address) so Redis holds
// no personal data in clear.
func (r *RedisLimiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}

// takeScript checks every key's backoff and, when none asks to wait,
// counts one attempt on each. ARGV[1] is now in milliseconds; then per key
// free, base, max and forget (milliseconds). It returns the wait in
// milliseconds, 0 when the attempt was counted.
var takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local wait = 0
local counts = {}
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 4
  local free, base, max, forget = tonumber(ARGV[o+1]), tonumber(ARGV[o+2]), tonumber(ARGV[o+3]), tonumber(ARGV[o+4])
  local v = redis.call('HMGET', key, 'n', 't')
  local n, t = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if n > 0 and now - t >= forget then n = 0 end
  if n >= free then
    local k = n - free
    local d = max
    if k < 40 then d = math.min(base * (2 ^ k), max) end
    local w = t + d - now
    if w > wait then wait = w end
  end
  counts[i] = n
end
if wait > 0 then return math.ceil(wait) end
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 4
  local free, forget = tonumber(ARGV[o+1]), tonumber(ARGV[o+4])
  redis.call('HSET', key, 'n', math.min(counts[i] + 1, free + 64), 't', now)
  redis.call('PEXPIRE', key, forget)
end
return 0
`)

// Take implements Limiter.
func (r *RedisLimiter) Take(ctx context.Context, keys ...LimitKey) (time.Duration, error) {
	rkeys := make([]string, len(keys))
	args := make([]any, 0, 1+4*len(keys))
	args = append(args, r.now().UnixMilli())
	for i, k := range keys {
		rkeys[i] = r.redisKey(k.Key)
		args = append(args, k.Rule.Free, k.Rule.Base.Milliseconds(), k.Rule.Max.Milliseconds(), max(k.Rule.Forget.Milliseconds(), 1))
	}
	ms, err := takeScript.Run(ctx, r.client, rkeys, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("throttle: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Reset implements Limiter.
func (r *RedisLimiter) Reset(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = r.redisKey(k)
	}
	if err := r.client.Del(ctx, rkeys...).Err(); err != nil {
		return fmt.Errorf("throttle reset: %w", err)
	}
	return nil
}

// refundScript takes back one counted attempt of each key.
var refundScript = redis.NewScript(`
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('HGET', key, 'n'))
  if n ~= nil then
    if n <= 1 then redis.call('DEL', key) else redis.call('HSET', key, 'n', n - 1) end
  end
end
return 0
`)

// Refund implements Refunder.
func (r *RedisLimiter) Refund(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	rkeys := make([]string, len(keys))
	for i, k := range keys {
		rkeys[i] = r.redisKey(k)
	}
	if err := refundScript.Run(ctx, r.client, rkeys).Err(); err != nil {
		return fmt.Errorf("throttle refund: %w", err)
	}
	return nil
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}
