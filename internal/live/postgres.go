package live

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultPostgresChannel is the NOTIFY channel of live events.
const DefaultPostgresChannel = "nextflow_live"

// Postgres fans events out across processes through PostgreSQL
// LISTEN/NOTIFY, for scale-out deployments without Redis. Publishing uses
// the pool; each process listens on one dedicated connection (outside the
// pool) and hands what it receives to a local Hub. It runs no SQL other
// than pg_notify and LISTEN.
type Postgres struct {
	pool    *pgxpool.Pool
	channel string
	logger  *slog.Logger
	hub     *Hub

	startOnce sync.Once
	startErr  error
	cancel    context.CancelFunc
	done      chan struct{}
}

// NewPostgres returns a LISTEN/NOTIFY publisher and subscriber. channel ""
// means DefaultPostgresChannel; logger nil means slog.Default().
func NewPostgres(pool *pgxpool.Pool, channel string, logger *slog.Logger) *Postgres {
	if channel == "" {
		channel = DefaultPostgresChannel
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Postgres{pool: pool, channel: channel, logger: logger, hub: NewHub(), done: make(chan struct{})}
}

// maxNotifyPayload is PostgreSQL's NOTIFY payload limit, less a margin.
const maxNotifyPayload = 7900

// Publish notifies every process's subscribers, in one statement per call.
// Events too large for a NOTIFY payload are dropped.
func (p *Postgres) Publish(ctx context.Context, events ...Event) error {
	payloads := make([]string, 0, len(events))
	for _, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode live event: %w", err)
		}
		if len(data) > maxNotifyPayload {
			p.logger.WarnContext(ctx, "live event too large for NOTIFY; dropped", "bytes", len(data))
			continue
		}
		payloads = append(payloads, string(data))
	}
	if len(payloads) == 0 {
		return nil
	}
	if _, err := p.pool.Exec(ctx, "SELECT pg_notify($1, x) FROM unnest($2::text[]) AS x", p.channel, payloads); err != nil {
		return fmt.Errorf("notify live events: %w", err)
	}
	return nil
}

// Subscribe delivers tenantID's events from every process. The first call
// starts listening.
func (p *Postgres) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan Event, func(), error) {
	if err := p.start(ctx); err != nil {
		return nil, nil, err
	}
	return p.hub.Subscribe(ctx, tenantID)
}

func (p *Postgres) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, p.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("connect for live events: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{p.channel}.Sanitize()); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("listen for live events: %w", err)
	}
	return conn, nil
}

func (p *Postgres) start(ctx context.Context) error {
	p.startOnce.Do(func() {
		// The first connection is made now so that events published after
		// Subscribe returns are not lost; the listener outlives ctx.
		conn, err := p.listen(ctx)
		if err != nil {
			close(p.done)
			p.startErr = err
			return
		}
		runCtx, cancel := context.WithCancel(context.Background())
		p.cancel = cancel
		go p.run(runCtx, conn)
	})
	return p.startErr
}

// run receives notifications, reconnecting with backoff when the
// connection drops.
func (p *Postgres) run(ctx context.Context, conn *pgx.Conn) {
	defer close(p.done)
	backoff := 100 * time.Millisecond
	for {
		if conn == nil {
			var err error
			if conn, err = p.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				p.logger.WarnContext(ctx, "live events: reconnect", "error", err, "retry_in", backoff)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			_ = conn.Close(context.Background())
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var ev Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil {
			p.logger.WarnContext(ctx, "decode live event", "error", err)
			continue
		}
		_ = p.hub.Publish(ctx, ev)
	}
}

// Close stops listening. It does not close the pool.
func (p *Postgres) Close() error {
	p.startOnce.Do(func() { close(p.done) })
	if p.cancel != nil {
		p.cancel()
	}
	<-p.done
	return nil
}
