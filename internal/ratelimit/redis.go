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

// gcraScript decides one event for one or more keys in one round trip,
// atomically, on Redis's own clock (so nodes with skewed clocks agree).
// KEYS hold the TATs in microseconds; ARGV[1] is 1 to count the event
// (when every key allows it) or 0 to only look, then each key's interval
// in microseconds and burst. It returns {all allowed, then per key:
// allowed, remaining, retry after µs, reset µs}, each as if the event were
// counted.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {1}
local pending = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = pending[key] or tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * burst
  local n = #out
  if now < allow_at then
    out[1] = 0
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = 0, 0, allow_at - now, tat - now
  else
    pending[key] = new_tat
    out[n + 1], out[n + 2], out[n + 3], out[n + 4] = 1, math.floor((now - allow_at) / interval), 0, new_tat - now
  end
end
if ARGV[1] == '1' and out[1] == 1 then
  for key, v in pairs(pending) do
    redis.call('SET', key, string.format('%.0f', v), 'PX', math.ceil((v - now) / 1000) + 1)
  end
end
return out
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

var (
	_ Limiter = (*Redis)(nil)
	_ Limiter = (*Memory)(nil)
)

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
	res, err := r.decide(ctx, true, []Request{{Key: key, Rule: rule}})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// AllowAll implements Limiter in one atomic script, so concurrent calls
// on several nodes never count a refused event against any key.
func (r *Redis) AllowAll(ctx context.Context, reqs ...Request) ([]Result, error) {
	return r.decide(ctx, true, reqs)
}

// Peek implements Limiter.
func (r *Redis) Peek(ctx context.Context, key string, rule Rule) (Result, error) {
	res, err := r.decide(ctx, false, []Request{{Key: key, Rule: rule}})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

func (r *Redis) decide(ctx context.Context, commit bool, reqs []Request) ([]Result, error) {
	enabled := false
	for _, q := range reqs {
		enabled = enabled || q.Rule.Enabled()
	}
	if !enabled {
		results := make([]Result, len(reqs))
		for i := range results {
			results[i].Allowed = true
		}
		return results, nil
	}
	if time.Now().UnixNano() < r.downUntil.Load() {
		return r.fallbackDecide(ctx, commit, reqs)
	}
	res, err := r.run(ctx, commit, reqs)
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("rate limit %s: %w", reqs[0].Key, ctx.Err())
	}
	r.downUntil.Store(time.Now().Add(r.retry).UnixNano())
	r.warn.Do(func() {
		r.log.WarnContext(ctx, "rate limit: Redis unavailable, limiting in process on this node", "err", err)
	})
	return r.fallbackDecide(ctx, commit, reqs)
}

// fallbackDecide asks the in-process fallback.
func (r *Redis) fallbackDecide(ctx context.Context, commit bool, reqs []Request) ([]Result, error) {
	if commit {
		return r.fallback.AllowAll(ctx, reqs...)
	}
	results := make([]Result, len(reqs))
	for i, q := range reqs {
		res, err := r.fallback.Peek(ctx, q.Key, q.Rule)
		if err != nil {
			return nil, err
		}
		results[i] = res
	}
	return results, nil
}

// run decides reqs in one script call; disabled rules are not sent.
func (r *Redis) run(ctx context.Context, commit bool, reqs []Request) ([]Result, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	keys := make([]string, 0, len(reqs))
	args := make([]any, 1, 1+2*len(reqs))
	args[0] = 0
	if commit {
		args[0] = 1
	}
	for _, q := range reqs {
		if q.Rule.Enabled() {
			keys = append(keys, r.redisKey(q.Key))
			args = append(args, max(q.Rule.Interval().Microseconds(), 1), q.Rule.Burst)
		}
	}
	vals, err := gcraScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("rate limit script: %w", err)
	}
	if len(vals) != 1+4*len(keys) {
		return nil, fmt.Errorf("rate limit script returned %d values for %d keys", len(vals), len(keys))
	}
	counted := commit && vals[0] == 1
	results := make([]Result, len(reqs))
	j := 1
	for i, q := range reqs {
		if !q.Rule.Enabled() {
			results[i].Allowed = true
			continue
		}
		res := Result{
			Allowed:    vals[j] == 1,
			Limit:      q.Rule.Burst,
			Remaining:  int(vals[j+1]),
			RetryAfter: time.Duration(vals[j+2]) * time.Microsecond,
			Reset:      time.Duration(vals[j+3]) * time.Microsecond,
		}
		j += 4
		if res.Allowed && !counted {
			res = untaken(res, q.Rule)
		}
		results[i] = res
	}
	return results, nil
}

// redisKey hashes key (which may hold a client IP) so Redis holds no
// personal data in clear.
func (r *Redis) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.prefix + hex.EncodeToString(sum[:16])
}
