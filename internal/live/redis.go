package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix prefixes the Redis channel of each tenant.
const DefaultRedisPrefix = "nextflow:live:"

// Redis fans events out across processes through Redis pub/sub. Each
// process holds one pattern subscription and hands what it receives to a
// local Hub, so subscribers cost nothing on Redis.
type Redis struct {
	client *redis.Client
	prefix string
	logger *slog.Logger
	hub    *Hub

	startOnce sync.Once
	startErr  error
	cancel    context.CancelFunc
	done      chan struct{}
}

// NewRedis returns a Redis publisher and subscriber over client. prefix ""
// means DefaultRedisPrefix; logger nil means slog.Default().
func NewRedis(client *redis.Client, prefix string, logger *slog.Logger) *Redis {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Redis{client: client, prefix: prefix, logger: logger, hub: NewHub(), done: make(chan struct{})}
}

// Publish sends events to every process's subscribers, one pipeline per call.
func (r *Redis) Publish(ctx context.Context, events ...Event) error {
	return publishRedis(ctx, r.client, r.prefix, events)
}

// publishRedis sends events to their tenants' channels in one pipeline.
func publishRedis(ctx context.Context, client *redis.Client, prefix string, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	pipe := client.Pipeline()
	for _, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode live event: %w", err)
		}
		pipe.Publish(ctx, prefix+ev.TenantID.String(), data)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("publish live events: %w", err)
	}
	return nil
}

// Subscribe delivers tenantID's events from every process. The first call
// starts the process's Redis subscription.
func (r *Redis) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Event, func(), error) {
	if err := r.start(); err != nil {
		return nil, nil, err
	}
	return r.hub.Subscribe(ctx, tenantID)
}

func (r *Redis) start() error {
	r.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		ps := r.client.PSubscribe(ctx, r.prefix+"*")
		// Wait for the subscription to be confirmed so that events published
		// after Subscribe returns are not lost.
		if _, err := ps.Receive(ctx); err != nil {
			cancel()
			_ = ps.Close()
			close(r.done)
			r.startErr = fmt.Errorf("subscribe to live events: %w", err)
			return
		}
		go r.run(ctx, ps)
	})
	return r.startErr
}

func (r *Redis) run(ctx context.Context, ps *redis.PubSub) {
	defer close(r.done)
	relayRedis(ctx, ps, r.prefix, r.hub, r.logger)
}

// relayRedis hands the events ps receives to hub until ctx ends or ps is
// closed, and closes ps.
func relayRedis(ctx context.Context, ps *redis.PubSub, prefix string, hub *Hub, logger *slog.Logger) {
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			if !strings.HasPrefix(msg.Channel, prefix) {
				continue
			}
			var ev Event
			if err := json.Unmarshal([]byte(msg.Payload), &ev); err != nil {
				logger.WarnContext(ctx, "decode live event", "channel", msg.Channel, "error", err)
				continue
			}
			_ = hub.Publish(ctx, ev)
		}
	}
}

// Close ends the Redis subscription. It does not close the client.
func (r *Redis) Close() error {
	started := false
	r.startOnce.Do(func() { close(r.done) })
	if r.cancel != nil {
		started = true
		r.cancel()
	}
	if started {
		<-r.done
	}
	return nil
}
