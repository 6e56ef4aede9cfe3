package httpbench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// EventsConfig configures Events.
type EventsConfig struct {
	// Workers is the River bundle the store was opened with; Events
	// registers the engine's workers in it and starts the queue.
	Workers *river.Workers
	// Batches per phase (default 300), events per batch (default 100),
	// concurrent clients (default 16) and distinct contacts (default
	// 10,000).
	Batches, BatchSize, Clients, Contacts int
	// GroupRequests is the most requests one shared transaction of the
	// events group commit holds in the grouped phases (default
	// ingest.DefaultGroupRequests); the other phases store each request
	// in a transaction of its own.
	GroupRequests int
	// GroupRunners is how many shared transactions run at once (default
	// ingest.DefaultGroupRunners).
	GroupRunners int
}

// EventsResult is what Events measured.
type EventsResult struct {
	Dialect string
	Phases  []Phase
	// Alone and Grouped are the mean events/s of the saturated phases
	// without and with the group commit.
	Alone, Grouped float64
	// Events and Starts are the best saturated phase's events accepted and
	// executions started per second; PacedP99 is the paced phase's p99
	// (accepted → completed, below saturation): the figures #14 sets
	// targets for.
	Events, Starts float64
	PacedP99       time.Duration
}

// String renders the result.
func (r *EventsResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "POST /api/v1/events, trigger.event → end (%s); items = events accepted; an event's execution\n", r.Dialect)
	b.WriteString("completes in the transaction that accepts it, so a request's latency bounds accepted → completed\n")
	for _, p := range r.Phases {
		b.WriteString(p.String() + "\n")
	}
	if r.Alone > 0 {
		fmt.Fprintf(&b, "group commit: ×%.2f events/s (grouped phases against the alone ones, alternated)\n", r.Grouped/r.Alone)
	}
	fmt.Fprintf(&b, "#14 figures: %.0f events/s accepted (target ≥ 20,000), %.0f journey starts/s (target ≥ 5,000), "+
		"p99 accepted → completed %.1f ms paced at half rate (target ≤ 100 ms)\n", r.Events, r.Starts, ms(r.PacedP99))
	return b.String()
}

// eventJourney starts on every bench.signed_up event and ends.
const eventJourney = `{"nodes": [
  {"id": "start", "type": "trigger.event", "config": {"event": "bench.signed_up", "reentry": "always"}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "done"}]}`

// Events posts batches of events through the events API with an
// events:write key: a saturated phase with Clients clients, then a phase
// paced at half the saturated rate (latency below saturation). Each event
// starts one execution of a one-step event journey.
func Events(ctx context.Context, st store.Store, cfg EventsConfig) (*EventsResult, error) {
	if cfg.Batches <= 0 {
		cfg.Batches = 300
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 16
	}
	if cfg.Contacts <= 0 {
		cfg.Contacts = 10000
	}
	tenant, err := newTenant(ctx, st)
	if err != nil {
		return nil, err
	}
	wf, err := publish(ctx, st, tenant, "bench events", eventJourney)
	if err != nil {
		return nil, err
	}
	key, err := apiKey(ctx, st, tenant, "events:write")
	if err != nil {
		return nil, err
	}
	if cfg.GroupRequests <= 0 {
		cfg.GroupRequests = ingest.DefaultGroupRequests
	}
	alone, err := startServer(ctx, st, cfg.Workers, engine.Options{}, tenant, nil)
	if err != nil {
		return nil, err
	}
	defer alone.close()
	grouped, err := startServer(ctx, st, nil, engine.Options{}, tenant, &ingest.GroupCommit{Requests: cfg.GroupRequests, Runners: cfg.GroupRunners})
	if err != nil {
		return nil, err
	}
	defer grouped.close()
	header := http.Header{"Authorization": {"Bearer " + key}}
	run := uuid.NewString()[:8]
	do := func(srv *server, phase string) func(ctx context.Context, i int) (int, error) {
		return func(ctx context.Context, i int) (int, error) {
			var b strings.Builder
			b.WriteString(`{"batch": [`)
			for j := range cfg.BatchSize {
				if j > 0 {
					b.WriteByte(',')
				}
				n := i*cfg.BatchSize + j
				fmt.Fprintf(&b, `{"contact": {"externalId": "u%d"}, "name": "bench.signed_up", "properties": {"n": %d}, "messageId": "%s-%s-%d"}`,
					n%cfg.Contacts, n, run, phase, n)
			}
			b.WriteString(`]}`)
			status, body, err := srv.post(ctx, "/api/v1/events", header, []byte(b.String()))
			if err != nil {
				return 0, err
			}
			var out struct {
				Accepted int `json:"accepted"`
			}
			_ = json.Unmarshal(body, &out)
			if status/100 != 2 || out.Accepted != cfg.BatchSize {
				return out.Accepted, fmt.Errorf("status %d: %.300s", status, body)
			}
			return out.Accepted, nil
		}
	}
	res := &EventsResult{Dialect: string(st.Dialect())}
	count := func() (int, int, error) {
		var total, done int
		err := st.Read(ctx, tenant, func(tx store.Tx) error {
			by, err := tx.ExecutionCountByStatus(ctx, tenant, wf)
			for s, n := range by {
				total += n
				if s == domain.ExecutionCompleted {
					done += n
				}
			}
			return err
		})
		return total, done, err
	}
	seq := 0
	phase := func(srv *server, name string, n int, rate float64) (Phase, error) {
		before, _, err := count()
		if err != nil {
			return Phase{}, err
		}
		seq++
		p := load(ctx, name, n, cfg.Clients, rate, do(srv, fmt.Sprint(seq)))
		after, done, err := count()
		if err != nil {
			return Phase{}, err
		}
		started := after - before
		startRate := float64(started) / p.Elapsed.Seconds()
		p.Extra = append(p.Extra, fmt.Sprintf("executions started %d (%.0f/s), completed in all %d of %d",
			started, startRate, done, after))
		if rate == 0 && name != "warm-up" {
			res.Events, res.Starts = max(res.Events, p.PerSecond()), max(res.Starts, startRate)
		}
		return p, nil
	}
	for _, srv := range []*server{alone, grouped} {
		if _, err := phase(srv, "warm-up", min(20, cfg.Batches), 0); err != nil {
			return nil, err
		}
	}
	// Alone and grouped alternate, twice, so that the load of the machine
	// weighs on both alike.
	var sumAlone, sumGrouped float64
	for range 2 {
		for _, mode := range []struct {
			srv  *server
			name string
			sum  *float64
		}{{alone, "alone", &sumAlone}, {grouped, fmt.Sprintf("group commit ≤ %d requests", cfg.GroupRequests), &sumGrouped}} {
			p, err := phase(mode.srv, fmt.Sprintf("saturated, %d clients, %s", cfg.Clients, mode.name), cfg.Batches, 0)
			if err != nil {
				return nil, err
			}
			res.Phases = append(res.Phases, p)
			*mode.sum += p.PerSecond()
		}
	}
	res.Alone, res.Grouped = sumAlone/2, sumGrouped/2
	rate := res.Grouped / 2 / float64(cfg.BatchSize) // batches per second
	if rate > 0 {
		paced, err := phase(grouped, fmt.Sprintf("paced at %.0f events/s, group commit", rate*float64(cfg.BatchSize)), max(cfg.Batches/2, 1), rate)
		if err != nil {
			return nil, err
		}
		res.Phases = append(res.Phases, paced)
		res.PacedP99 = paced.P99
	}
	return res, nil
}
