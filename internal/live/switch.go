package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/nextflow-dev/nextflow/internal/ratelog"
)

// Bus is a Publisher that is also a Subscriber (Hub, Redis, the
// PostgreSQL store's LiveBus).
type Bus interface {
	Publisher
	Subscriber
}

// SwitchOptions configure a Switch.
type SwitchOptions struct {
	// Client is the Redis client (required).
	Client *redis.Client
	// Prefix of the Redis channels (DefaultRedisPrefix).
	Prefix string
	// Up reports whether Redis is reachable (required).
	Up func() bool
	// Failed is told about a Redis call that failed (optional), so the
	// owner of the connection can mark it down at once.
	Failed func(error)
	// Fallback carries events while Redis is down: the PostgreSQL
	// LISTEN/NOTIFY bus between nodes, or nil for in process only.
	Fallback Bus
	// Logger gets the outage warnings, each at most once per
	// ratelog.DefaultInterval.
	Logger *slog.Logger
}

// Switch carries events through Redis while Redis is up and through a
// fallback bus while it is down, so that Redis is optional at start and
// during an outage. Subscribers hear both: the events relayed from Redis
// and those of the fallback, merged; a publisher uses one route per event,
// so nothing arrives twice. Call SetRedis on every change of Redis's
// state (redisconn.Conn.OnChange): it holds the Redis subscription while
// Redis is up.
type Switch struct {
	client   *redis.Client
	prefix   string
	up       func() bool
	failed   func(error)
	fallback Bus
	hub      *Hub // events relayed from Redis (and published locally without a fallback)
	log      *slog.Logger

	mu     sync.Mutex
	stop   context.CancelFunc // ends the Redis subscription
	done   chan struct{}
	closed bool
}

// NewSwitch returns a Switch; it subscribes to Redis on SetRedis(true).
func NewSwitch(opts SwitchOptions) *Switch {
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Failed == nil {
		opts.Failed = func(error) {}
	}
	return &Switch{
		client: opts.Client, prefix: opts.Prefix, up: opts.Up, failed: opts.Failed,
		fallback: opts.Fallback, hub: NewHub(), log: ratelog.New(opts.Logger, 0),
	}
}

// Publish sends events through Redis while it is up, else (or when the
// Redis call fails) through the fallback. It fails only when the fallback
// does.
func (s *Switch) Publish(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if s.up() {
		err := publishRedis(ctx, s.client, s.prefix, events)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		s.failed(err)
		s.log.WarnContext(ctx, "live events: redis failed; sending through the fallback bus", "error", err.Error())
	}
	if s.fallback == nil {
		return s.hub.Publish(ctx, events...)
	}
	return s.fallback.Publish(ctx, events...)
}

// Subscribe delivers tenantID's events from Redis and from the fallback.
func (s *Switch) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Event, func(), error) {
	fromRedis, endRedis, err := s.hub.Subscribe(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if s.fallback == nil {
		return fromRedis, endRedis, nil
	}
	fromFallback, endFallback, err := s.fallback.Subscribe(ctx, tenantID)
	if err != nil {
		endRedis()
		return nil, nil, err
	}
	out := make(chan Event, DefaultBuffer)
	go func() {
		defer close(out)
		a, b := fromRedis, fromFallback
		for a != nil || b != nil {
			var ev Event
			var ok bool
			select {
			case ev, ok = <-a:
				if !ok {
					a = nil
					endFallback() // one ended: end both
					continue
				}
			case ev, ok = <-b:
				if !ok {
					b = nil
					endRedis()
					continue
				}
			}
			select {
			case out <- ev:
			default: // a slow subscriber loses events, as with a Hub
			}
		}
	}()
	var once sync.Once
	return out, func() { once.Do(func() { endRedis(); endFallback() }) }, nil
}

// SetRedis starts the Redis subscription when up and ends it when down.
func (s *Switch) SetRedis(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if !up {
		s.stopRedisLocked()
		return
	}
	if s.stop != nil {
		return // already subscribed
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stop, s.done = stop, done
	go func() {
		defer close(done)
		ps := s.client.PSubscribe(ctx, s.prefix+"*")
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := ps.Receive(rctx)
		cancel()
		if err != nil {
			_ = ps.Close()
			if ctx.Err() == nil {
				s.log.Warn("live events: cannot subscribe to redis; the fallback bus carries them", "error", err.Error())
				// Marks Redis down (from another goroutine: that calls
				// SetRedis(false), which waits for this one); the next up
				// subscribes again.
				go s.failed(err)
			}
			return
		}
		relayRedis(ctx, ps, s.prefix, s.hub, s.log)
	}()
}

func (s *Switch) stopRedisLocked() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.stop, s.done = nil, nil
}

// Close ends the Redis subscription. It closes neither the client nor the
// fallback.
func (s *Switch) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.stopRedisLocked()
	return nil
}
