package sendprep

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// MaxCachedConnections bounds the connections a ConnCache keeps; past it
// the cache starts over empty.
const MaxCachedConnections = 4096

// ConnCache keeps the connections a sender opened for its calls (a
// tenant's connection with its secrets open), per tenant and connection
// ID, for a time to live, so that a burst of calls on one connection
// reads it once. The three senders share it. Safe for concurrent use.
type ConnCache[C any] struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	conns map[connKey]cachedConn[C]
}

type connKey struct{ tenantID, id uuid.UUID }

type cachedConn[C any] struct {
	conn C
	at   time.Time
}

// NewConnCache returns a cache keeping each connection for ttl by the
// clock now (nil: time.Now); ttl <= 0 keeps nothing.
func NewConnCache[C any](ttl time.Duration, now func() time.Time) *ConnCache[C] {
	if now == nil {
		now = time.Now
	}
	return &ConnCache[C]{ttl: ttl, now: now, conns: map[connKey]cachedConn[C]{}}
}

// Get returns the tenant's connection id as cached less than the TTL ago
// (a clock that went back counts as expired), else opens it with open and
// keeps it unless open fails. Two calls that find it expired at once may
// both open it.
func (c *ConnCache[C]) Get(tenantID, id uuid.UUID, open func() (C, error)) (C, error) {
	k := connKey{tenantID, id}
	now := c.now()
	c.mu.Lock()
	got, ok := c.conns[k]
	c.mu.Unlock()
	if ok && !now.Before(got.at) && now.Sub(got.at) < c.ttl {
		return got.conn, nil
	}
	conn, err := open()
	if err != nil {
		return conn, err
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.conns) >= MaxCachedConnections {
			clear(c.conns)
		}
		c.conns[k] = cachedConn[C]{conn: conn, at: now}
		c.mu.Unlock()
	}
	return conn, nil
}

// Forget drops the tenant's connection id, so the next Get opens it again
// (its settings were refused).
func (c *ConnCache[C]) Forget(tenantID, id uuid.UUID) {
	c.mu.Lock()
	delete(c.conns, connKey{tenantID, id})
	c.mu.Unlock()
}

// Read is Get with the connection opened by get in a read transaction of
// st in the tenant (what every sender's Perform does).
func (c *ConnCache[C]) Read(ctx context.Context, st store.Store, tenantID, id uuid.UUID,
	get func(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (C, error)) (C, error) {
	return c.Get(tenantID, id, func() (C, error) {
		var conn C
		err := st.Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			conn, err = get(ctx, tx, tenantID, id)
			return err
		})
		return conn, err
	})
}
