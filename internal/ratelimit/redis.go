package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// DefaultRedisPrefix prefixes the limiter's Redis keys.
const DefaultRedisPrefix = "nextflow:ratelimit:"

// gcraScript decides one event in one round trip, atomically, on Redis's
// own clock (so nodes with skewed clocks agree). KEYS[1] holds the TAT in
// microseconds; ARGV are the interval in microseconds and the burst. It
// returns {allowed, remaining, retry after µs, reset µs}.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((now - allow_at) / interval), 0, new_tat - now}
`)

// RedisOptions configure a Redis limiter.
type RedisOptions struct {
	// Prefix of the keys (DefaultRedisPrefix).
	Prefix string
	// Fallback decides while Redis fails (a new Memory).
	Fallback Limiter
	// Logger gets a warning, at most once a minute, while Redis fails.
	Logger *slog.Logger
	// Timeout bounds one Redis call (500 ms), so a hung Redis delays a
	// request by at most that before the fallback decides.
	Timeout time.Duration
	// RetryAfterError is how long the fallback decides alone after a Redis
	// failure before Redis is tried again (2 s).
	RetryAfterError time.Duration
}

// Redis is a Limiter shared by every node through Redis. While Redis
// fails it decides with its in-process fallback, so an outage neither
// stops traffic nor lifts the limits (they then hold per node).
type Redis struct {
	client   redis.Scripter
	prefix   string
	fallback Limiter
	log      *slog.Logger
	timeout  time.Duration
	retry    time.Duration
	warn     rate.Sometimes
	// downUntil (unix nanoseconds): after a failure, Redis is not asked
	// again before then, so an outage costs one timeout per RetryAfterError,
	// not one per request.
	downUntil atomic.Int64
}

// NewRedis returns a limiter that keeps its state in Redis.
func NewRedis(client redis.Scripter, opts RedisOptions) *Redis {
	r := &Redis{client: client, prefix: opts.Prefix, fallback: opts.Fallback, log: opts.Logger, timeout: opts.Timeout,
		warn: rate.Sometimes{First: 1, Interval: time.Minute}}
	if r.prefix == "" {
		r.prefix = DefaultRedisPrefix
	}
	if r.fallback == nil {
		r.fallback = NewMemory(MemoryOptions{})
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.timeout <= 0 {
		r.timeout = 500 * time.Millisecond
	}
	r.retry = opts.RetryAfterError
	if r.retry <= 0 {
		r.retry = 2 * time.Second
	}
	return r
}

// Allow implements Limiter. It never returns Redis's error: it logs it and
// decides in process instead.
func (r *Redis) Allow(ctx context.Context, key string, rule Rule) (Result, error) {
	if !rule.Enabled() {
		return Result{Allowed: true}, nil
	}
	if time.Now().UnixNano() < r.downUntil.Load() {
		return r.fallback.Allow(ctx, key, rule)
	}
	res, err := r.allow(ctx, key, rule)
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("rate limit %s: %w", key, ctx.Err())
	}
	r.downUntil.Store(time.Now().Add(r.retry).UnixNano())
	r.warn.Do(func() {
		r.log.WarnContext(ctx, "rate limit: Redis unavailable, limiting in process on this node", "err", err)
	})
	return r.fallback.Allow(ctx, key, rule)
}

func (r *Redis) allow(ctx context.Context, key string, rule Rule) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	interval := max(rule.Interval().Microseconds(), 1)
	vals, err := gcraScript.Run(ctx, r.client, []string{r.redisKey(key)}, interval, rule.Burst).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("rate limit script: %w", err)
	}
	if len(vals) != 4 {
		return Result{}, fmt.Errorf("rate limit script returned %d values", len(vals))
	}
	return Result{
		Allowed:    vals[0] == 1,
		Limit:      rule.Burst,
		Remaining:  int(vals[1]),
		RetryAfter: time.Duration(vals[2]) * time.Microsecond,
		Reset:      time.Duration(vals[3]) * time.Microsecond,
	}, nil
}

// redisKey hashes key (which may hold a client IP) so Redis holds no
// personal data in clear.
func (r *Redis) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}
