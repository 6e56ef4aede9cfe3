package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/live"
)

// liveChannel is the LISTEN/NOTIFY channel of live events; deployments
// in different schemas of one database do not hear each other.
func (s *Store) liveChannel() string {
	if s.schema == "" {
		return "nextflow_live"
	}
	return "nextflow_live_" + s.schema
}

// notifyPayloadMax keeps each NOTIFY under PostgreSQL's 8000-byte limit.
const notifyPayloadMax = 7000

// LiveBus carries live execution events between the nodes of a
// PostgreSQL deployment through LISTEN/NOTIFY, for installations without
// Redis. Publish queues events and returns at once; a sender batches them
// into few NOTIFYs; a listener on a dedicated connection feeds them to an
// in-process hub that subscribers read. Live events are best effort: when
// the queue is full they are dropped (the stream is a view, the database
// is the record).
type LiveBus struct {
	s      *Store
	hub    *live.Hub
	log    *slog.Logger
	queue  chan live.Event
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// LiveBus starts a LISTEN/NOTIFY bus on the store's database. Close stops it.
func (s *Store) LiveBus(ctx context.Context, log *slog.Logger) (*LiveBus, error) {
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &LiveBus{s: s, hub: live.NewHub(), log: log, queue: make(chan live.Event, 4096), cancel: cancel}
	conn, err := s.listen(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	b.wg.Add(2)
	go b.runListener(ctx, conn)
	go b.runSender(ctx)
	return b, nil
}

func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("live bus: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+s.liveChannel()); err != nil {
		_ = conn.Close(ctx)
		return nil, fmt.Errorf("live bus: listen: %w", err)
	}
	return conn, nil
}

// Publish queues events for every node.
func (b *LiveBus) Publish(_ context.Context, events ...live.Event) error {
	for _, ev := range events {
		select {
		case b.queue <- ev:
		default:
			b.log.Warn("live bus: queue full, event dropped", "execution_id", ev.ExecutionID)
		}
	}
	return nil
}

// Subscribe returns the events of a tenant, from every node.
func (b *LiveBus) Subscribe(ctx context.Context, tenantID uuid.UUID) (<-chan live.Event, func(), error) {
	return b.hub.Subscribe(ctx, tenantID)
}

// Close stops the bus.
func (b *LiveBus) Close() error {
	b.cancel()
	b.wg.Wait()
	return nil
}

// runSender sends queued events in batches, one NOTIFY per payload-sized
// chunk, every few milliseconds.
func (b *LiveBus) runSender(ctx context.Context) {
	defer b.wg.Done()
	var batch []live.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		for _, chunk := range chunkEvents(batch) {
			sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, err := b.s.pool.Exec(sendCtx, "SELECT pg_notify($1, $2)", b.s.liveChannel(), chunk)
			cancel()
			if err != nil {
				b.log.Warn("live bus: notify", "err", err)
			}
		}
		batch = batch[:0]
	}
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case ev := <-b.queue:
			batch = append(batch, ev)
			if len(batch) >= 200 {
				flush()
			}
		case <-ticker.C:
			flush()
		}
	}
}

// chunkEvents encodes events as JSON arrays that each fit one NOTIFY.
func chunkEvents(events []live.Event) []string {
	var out []string
	var cur []json.RawMessage
	size := 2
	emit := func() {
		if len(cur) > 0 {
			b, _ := json.Marshal(cur)
			out = append(out, string(b))
			cur, size = nil, 2
		}
	}
	for _, ev := range events {
		raw, err := json.Marshal(ev)
		if err != nil || len(raw)+2 > notifyPayloadMax {
			continue
		}
		if size+len(raw)+1 > notifyPayloadMax {
			emit()
		}
		cur = append(cur, raw)
		size += len(raw) + 1
	}
	emit()
	return out
}

// runListener hands notifications to the hub, reconnecting after errors.
func (b *LiveBus) runListener(ctx context.Context, conn *pgx.Conn) {
	defer b.wg.Done()
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	for {
		if conn == nil {
			var err error
			if conn, err = b.s.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				b.log.Warn("live bus: reconnect", "err", err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				continue
			}
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return
			}
			b.log.Warn("live bus: wait", "err", err)
			_ = conn.Close(context.Background())
			conn = nil
			continue
		}
		var events []live.Event
		if err := json.Unmarshal([]byte(n.Payload), &events); err != nil {
			b.log.Warn("live bus: bad payload", "err", err)
			continue
		}
		_ = b.hub.Publish(ctx, events...)
	}
}
