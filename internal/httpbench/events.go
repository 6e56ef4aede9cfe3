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

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/benchmeter"
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
	// Meter, when set, reads what the bench has used so far; each phase
	// then reports its CPU (this process and the database server) and its
	// statements and commits per event.
	Meter func(context.Context) benchmeter.Usage
}

// EventsResult is what Events measured.
type EventsResult struct {
	Dialect string
	Phases  []Phase
	// Alone and Grouped are the mean events/s of the saturated phases
	// without and with the group commit.
	Alone, Grouped float64
	// Events and Starts are the best all-start saturated phase's events
	// accepted and executions started per second (every event starts a
	// journey, so they are equal); PacedP99 is the all-start paced phase's
	// p99 (accepted → completed, below saturation).
	Events, Starts float64
	PacedP99       time.Duration
	// MixedEvents and MixedStarts are the same figures of the best mixed
	// saturated phase, where one event in four is the trigger event and
	// the others start nothing; MixedPacedP99 is its paced phase's p99.
	MixedEvents, MixedStarts float64
	MixedPacedP99            time.Duration
	// IngestOnly is the events/s of the phase whose events start nothing.
	IngestOnly float64
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
	fmt.Fprintf(&b, "#14 figures (targets: ≥ 20,000 events/s accepted, ≥ 5,000 journey starts/s, p99 accepted → completed ≤ 100 ms paced at half rate):\n"+
		"  all-start (every event starts a journey): %.0f events/s accepted = %.0f journey starts/s, p99 %.1f ms paced\n",
		r.Events, r.Starts, ms(r.PacedP99))
	if r.MixedEvents > 0 {
		fmt.Fprintf(&b, "  mixed (1 event in %d starts a journey, the others start nothing): %.0f events/s accepted, %.0f journey starts/s, p99 %.1f ms paced\n",
			mixedEvery, r.MixedEvents, r.MixedStarts, ms(r.MixedPacedP99))
	}
	if r.IngestOnly > 0 {
		fmt.Fprintf(&b, "  ingest only (no event starts a journey): %.0f events/s accepted\n", r.IngestOnly)
	}
	return b.String()
}

// eventJourney starts on every bench.signed_up event and ends.
const eventJourney = `{"nodes": [
  {"id": "start", "type": "trigger.event", "config": {"event": "bench.signed_up", "reentry": "always"}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "done"}]}`

// mixedEvery is how many events of a mixed stream carry one trigger
// event: the others are named after otherEvents, in turn.
const mixedEvery = 4

// otherEvents are the names of the events that start nothing (the
// tenant's only trigger is bench.signed_up): a real stream's page views
// and clicks, stored, upserting their contact and matched against the
// triggers.
var otherEvents = []string{"bench.page_viewed", "bench.clicked", "bench.item_viewed"}

// Stream kinds: which events of a batch are the trigger event.
const (
	streamAllStart = iota // every event
	streamMixed           // one in mixedEvery
	streamNoStart         // none
)

// eventName is the name of event n of a stream of kind.
func eventName(kind, n int) string {
	switch {
	case kind == streamAllStart, kind == streamMixed && n%mixedEvery == 0:
		return "bench.signed_up"
	}
	return otherEvents[n%len(otherEvents)]
}

// Events posts batches of events through the events API with an
// events:write key. All-start phases (each event starts one execution of a
// one-step event journey): saturated with Clients clients, each request
// alone and with the group commit, alternated twice, then paced at half
// the grouped rate (latency below saturation). Then mixed phases, where
// one event in mixedEvery starts a journey and the others start nothing:
// saturated twice, then paced at half that rate; and one saturated phase
// whose events start nothing (ingest only).
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
	tenant, err := benchfixture.Tenant(ctx, st, domain.PlanFree)
	if err != nil {
		return nil, err
	}
	wf, err := benchfixture.Publish(ctx, st, tenant, "bench events", eventJourney)
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
	do := func(srv *server, phase string, kind int) func(ctx context.Context, i int) (int, error) {
		return func(ctx context.Context, i int) (int, error) {
			var b strings.Builder
			b.WriteString(`{"batch": [`)
			for j := range cfg.BatchSize {
				if j > 0 {
					b.WriteByte(',')
				}
				n := i*cfg.BatchSize + j
				fmt.Fprintf(&b, `{"contact": {"externalId": "u%d"}, "name": "%s", "properties": {"n": %d}, "messageId": "%s-%s-%d"}`,
					n%cfg.Contacts, eventName(kind, n), n, run, phase, n)
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
	// phase runs one load; kind is the stream's, and a saturated phase's
	// figures go to *events and *starts when better.
	phase := func(srv *server, name string, n int, rate float64, kind int, events, starts *float64) (Phase, error) {
		before, _, err := count()
		if err != nil {
			return Phase{}, err
		}
		var u0 benchmeter.Usage
		if cfg.Meter != nil {
			u0 = cfg.Meter(ctx)
		}
		seq++
		p := load(ctx, name, n, cfg.Clients, rate, do(srv, fmt.Sprint(seq), kind))
		var u1 benchmeter.Usage
		if cfg.Meter != nil {
			u1 = cfg.Meter(ctx)
		}
		after, done, err := count()
		if err != nil {
			return Phase{}, err
		}
		started := after - before
		startRate := float64(started) / p.Elapsed.Seconds()
		p.Extra = append(p.Extra, fmt.Sprintf("executions started %d (%.0f/s), completed in all %d of %d",
			started, startRate, done, after))
		if cfg.Meter != nil && p.Items > 0 {
			// The load generator's CPU is in the process figure too.
			d := u1.Since(u0)
			perItem := func(v int64) float64 { return float64(v) / float64(p.Items) }
			perReq := func(v int64) float64 { return float64(v) / float64(p.Requests) }
			c := fmt.Sprintf("CPU µs/event: process %.1f, database %.1f", perItem(d.ProcessCPU.Microseconds()), perItem(d.DBCPU.Microseconds()))
			if d.Counted && p.Requests > 0 {
				c += fmt.Sprintf("; per request %.1f statements, %.2f commits; WAL/event %.1f records, %.0f bytes",
					perReq(d.Statements), perReq(d.Commits), perItem(d.WALRecords), perItem(d.WALBytes))
			}
			p.Extra = append(p.Extra, c)
		}
		if rate == 0 && events != nil {
			*events, *starts = max(*events, p.PerSecond()), max(*starts, startRate)
		}
		return p, nil
	}
	for _, srv := range []*server{alone, grouped} {
		if _, err := phase(srv, "warm-up", min(20, cfg.Batches), 0, streamAllStart, nil, nil); err != nil {
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
			p, err := phase(mode.srv, fmt.Sprintf("all-start, saturated, %d clients, %s", cfg.Clients, mode.name), cfg.Batches, 0,
				streamAllStart, &res.Events, &res.Starts)
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
		paced, err := phase(grouped, fmt.Sprintf("all-start, paced at %.0f events/s, group commit", rate*float64(cfg.BatchSize)),
			max(cfg.Batches/2, 1), rate, streamAllStart, nil, nil)
		if err != nil {
			return nil, err
		}
		res.Phases = append(res.Phases, paced)
		res.PacedP99 = paced.P99
	}
	// The mixed stream: one event in mixedEvery starts a journey.
	var sumMixed float64
	for range 2 {
		p, err := phase(grouped, fmt.Sprintf("mixed 1 in %d starts, saturated, %d clients, group commit", mixedEvery, cfg.Clients),
			cfg.Batches, 0, streamMixed, &res.MixedEvents, &res.MixedStarts)
		if err != nil {
			return nil, err
		}
		res.Phases = append(res.Phases, p)
		sumMixed += p.PerSecond()
	}
	if rate := sumMixed / 2 / 2 / float64(cfg.BatchSize); rate > 0 {
		paced, err := phase(grouped, fmt.Sprintf("mixed 1 in %d starts, paced at %.0f events/s, group commit", mixedEvery, rate*float64(cfg.BatchSize)),
			max(cfg.Batches/2, 1), rate, streamMixed, nil, nil)
		if err != nil {
			return nil, err
		}
		res.Phases = append(res.Phases, paced)
		res.MixedPacedP99 = paced.P99
	}
	var none float64
	p, err := phase(grouped, fmt.Sprintf("ingest only (no starts), saturated, %d clients, group commit", cfg.Clients),
		cfg.Batches, 0, streamNoStart, &res.IngestOnly, &none)
	if err != nil {
		return nil, err
	}
	res.Phases = append(res.Phases, p)
	return res, nil
}
