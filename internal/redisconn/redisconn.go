// Package redisconn holds NextFlow's optional Redis connection and knows
// whether Redis answers. Redis is never needed to start or to run: while it
// is down every Redis-backed part falls back (the execution lock to the
// database lock alone, rate limits to in-process ones, live events to
// PostgreSQL LISTEN/NOTIFY or the in-process hub) and switches back when it
// answers again.
//
// A watcher pings Redis: every HealthEvery while it is up, and with backoff
// from RetryMin to RetryMax while it is down. Parts that see a Redis call
// fail call Failed, which marks Redis down at once instead of at the next
// health check. Transitions are logged once each (down at warn, back at
// info) and reported to the OnChange callbacks.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timings of the watcher and of the client's calls.
const (
	// HealthEvery is how often an up Redis is pinged.
	HealthEvery = 2 * time.Second
	// RetryMin and RetryMax bound the backoff between pings of a down Redis.
	RetryMin = 250 * time.Millisecond
	RetryMax = 5 * time.Second
	// CallTimeout bounds dialing and each read and write of a call (unless
	// the URL sets its own), so an outage costs a caller at most about this.
	CallTimeout = time.Second
)

// Conn is a Redis client with its availability. It is safe for concurrent
// use.
type Conn struct {
	client *redis.Client
	log    *slog.Logger
	up     atomic.Bool
	known  atomic.Bool // a state was set (and announced)

	setMu     sync.Mutex // one transition (and its callbacks) at a time
	mu        sync.Mutex
	listeners []func(up bool)
	probe     chan struct{}
	cancel    context.CancelFunc
	done      chan struct{}
}

// Open parses url and returns a Conn that is down until Start finds Redis
// answering. Only a malformed URL is an error: an unreachable Redis is not.
func Open(url string, log *slog.Logger) (*Conn, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = CallTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = CallTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = CallTimeout
	}
	if opts.MaxRetries == 0 {
		// A down Redis is known from the first failure; the watcher retries.
		opts.MaxRetries = -1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{client: redis.NewClient(opts), log: log, probe: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// Client returns the Redis client. Calls on it fail while Redis is down.
func (c *Conn) Client() *redis.Client { return c.client }

// Up reports whether Redis answered the last ping and no call has failed
// since.
func (c *Conn) Up() bool { return c.up.Load() }

// OnChange registers fn to be called with the new state on every
// transition, one call at a time; fn must not block for long nor call
// Failed. Register before Start.
func (c *Conn) OnChange(fn func(up bool)) {
	c.mu.Lock()
	c.listeners = append(c.listeners, fn)
	c.mu.Unlock()
}

// Start pings Redis once (waiting at most wait) and then watches it in the
// background until Close. It never fails: a Redis down at start is logged
// and picked up when it answers.
func (c *Conn) Start(ctx context.Context, wait time.Duration) {
	pctx, cancel := context.WithTimeout(ctx, wait)
	err := c.client.Ping(pctx).Err()
	cancel()
	if err == nil {
		c.set(true, nil)
	} else {
		c.set(false, err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = stop
	go c.watch(runCtx)
}

// Failed tells the Conn a call failed with err; a connection failure (not
// a Redis error reply such as a script error) marks Redis down at once and
// has the watcher probe it.
func (c *Conn) Failed(err error) {
	if err == nil || !Unreachable(err) {
		return
	}
	if c.up.Load() {
		c.set(false, err)
	}
	select {
	case c.probe <- struct{}{}:
	default:
	}
}

// Unreachable reports whether err from a Redis call means Redis could not
// be reached (refused, timed out, connection lost) rather than an error
// reply.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return false // Redis answered, with an error
	}
	// Refused, timed out, reset, closed: anything but an answer.
	return true
}

// set records the state and tells the listeners when it changed.
func (c *Conn) set(up bool, err error) {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	prev := c.up.Swap(up)
	if c.known.Swap(true) && prev == up {
		return // the start state is announced even when it is "down"
	}
	if up {
		c.log.Info("redis reachable: using it for the execution lock, rate limits and live events")
	} else {
		c.log.Warn("redis unreachable: degraded to the database lock, in-process rate limits and the local live bus until it answers",
			"error", fmt.Sprint(err))
	}
	c.mu.Lock()
	ls := append([]func(bool){}, c.listeners...)
	c.mu.Unlock()
	for _, fn := range ls {
		fn(up)
	}
}

func (c *Conn) watch(ctx context.Context) {
	defer close(c.done)
	backoff := RetryMin
	for {
		wait := HealthEvery
		if !c.up.Load() {
			wait = backoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.probe:
			t.Stop()
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, CallTimeout)
		err := c.client.Ping(pctx).Err()
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = RetryMin
			if !c.up.Load() {
				c.set(true, nil)
			}
			continue
		}
		if c.up.Load() {
			c.set(false, err)
		} else {
			backoff = min(2*backoff, RetryMax)
		}
	}
}

// Close stops the watcher and closes the client.
func (c *Conn) Close() error {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	if err := c.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("close redis: %w", err)
	}
	return nil
}
