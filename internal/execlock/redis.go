package execlock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix namespaces the lock keys: <prefix><execution ID>.
const DefaultRedisPrefix = "nextflow:execlock:"

// DefaultRedisTimeout bounds each Redis call of the lock: a lock that is
// slow to ask saves nothing.
const DefaultRedisTimeout = time.Second

// releaseScript deletes the key only if it still holds the owner's token.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Redis is a Locker on Redis keys, shared by every process using the same
// Redis. It is safe for concurrent use.
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

// NewRedis returns a Redis locker over client. prefix "" means
// DefaultRedisPrefix. It does not close the client.
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &Redis{client: client, prefix: prefix, timeout: DefaultRedisTimeout}
}

// Key is the Redis key of executionID's lock.
func (r *Redis) Key(executionID uuid.UUID) string {
	return r.prefix + executionID.String()
}

// Acquire implements Locker with SET key token NX and an expiry of ttl.
func (r *Redis) Acquire(ctx context.Context, executionID uuid.UUID, ttl time.Duration) (Release, bool, error) {
	if ttl < time.Millisecond {
		return noRelease, false, fmt.Errorf("lock execution %s: ttl %s is under a millisecond", executionID, ttl)
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails
	token := hex.EncodeToString(b[:])
	key := r.Key(executionID)
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ok, err := r.client.SetNX(cctx, key, token, ttl).Result()
	if err != nil {
		return noRelease, false, fmt.Errorf("lock execution %s in redis: %w", executionID, err)
	}
	if !ok {
		return noRelease, false, nil
	}
	var once sync.Once
	var rerr error
	return func(ctx context.Context) error {
		once.Do(func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
			defer cancel()
			if err := releaseScript.Run(cctx, r.client, []string{key}, token).Err(); err != nil {
				rerr = fmt.Errorf("unlock execution %s in redis: %w", executionID, err)
			}
		})
		return rerr
	}, true, nil
}
