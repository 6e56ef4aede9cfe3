// Package segmentbench measures segments and broadcasts through their
// exported API (nextflow bench segments): the time to compute a segment's
// membership from scratch over N contacts and M events, the time from an
// event's commit to the membership change it causes, and broadcast starts
// per second.
package segmentbench

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/broadcast"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/segment"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Config sizes a run.
type Config struct {
	// Workers is the job bundle the store's queue was opened with.
	Workers  *river.Workers
	Contacts int
	Events   int
	// Probes is how many event → membership changes are timed.
	Probes int
	// Reuse runs on the contacts and events an earlier run's seed left in
	// the store (kept with --keep; PostgreSQL only), clearing what that
	// run made of them, instead of seeding.
	Reuse bool
	// Out receives progress lines (nil: none).
	Out func(format string, args ...any)
}

// Result is what a run measured.
type Result struct {
	Contacts, Events, Members int
	// Seed is the time to write the contacts and events.
	Seed time.Duration
	// Compute is a full computation of the segment.
	Compute time.Duration
	// Event → membership: from the commit of the event that qualifies a
	// contact to the membership row.
	P50, P99, Max time.Duration
	Probes        int
	// Broadcast: every member started once, at the highest rate.
	Started   int
	Broadcast time.Duration
}

// String renders the result.
func (r *Result) String() string {
	return fmt.Sprintf("segments: %d contacts, %d events (seeded in %s)\n"+
		"  full computation: %d members in %s (target ≤ 10 s at 1M contacts)\n"+
		"  event → membership change (%d probes): p50 %s, p99 %s, max %s (target p99 ≤ 1 s)\n"+
		"  broadcast: %d executions started in %s: %.0f starts/s (target ≥ 10,000/s)",
		r.Contacts, r.Events, r.Seed.Round(time.Millisecond), r.Members, r.Compute.Round(time.Millisecond),
		r.Probes, r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond),
		r.Started, r.Broadcast.Round(time.Millisecond), float64(r.Started)/r.Broadcast.Seconds())
}

// The segment measured: PRO contacts with at least 2 order.completed in
// the last 30 days.
const definition = `{"all":[{"attribute":{"key":"plan","op":"eq","value":"PRO"}},
 {"performed":{"event":"order.completed","op":"gte","count":2,"withinSeconds":2592000}}]}`

// Run seeds a tenant on st (a fresh database whose queue is not started,
// opened with cfg.Workers) and measures.
func Run(ctx context.Context, st store.Store, cfg Config) (*Result, error) {
	say := cfg.Out
	if say == nil {
		say = func(string, ...any) {}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng := engine.New(st, engine.Options{Logger: log})
	defer eng.Close()
	eng.RegisterWorkers(cfg.Workers)
	segs := segment.New(st, segment.Options{Engine: eng, Logger: log})
	segs.RegisterWorkers(cfg.Workers)
	bcs := broadcast.New(st, broadcast.Options{Engine: eng, Logger: log})
	bcs.RegisterWorkers(cfg.Workers)
	hook := &segment.EventHook{Next: eng}

	res := &Result{Contacts: cfg.Contacts, Events: cfg.Events}
	var tenant uuid.UUID
	var pro []uuid.UUID
	var err error
	began := time.Now()
	if cfg.Reuse {
		b, ok := st.(bulkSeeder)
		if !ok {
			return nil, fmt.Errorf("reuse: the %s store keeps no seed", st.Dialect())
		}
		if tenant, res.Contacts, res.Events, err = b.SeedReuse(ctx); err != nil {
			return nil, err
		}
		cfg.Contacts, cfg.Events = res.Contacts, res.Events
		pro = proProbes(b, tenant, cfg.Contacts)
		say("reusing %d contacts, about %d events", res.Contacts, res.Events)
	} else {
		if err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
			t, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Bench", Slug: "bench-" + uuid.NewString()[:8], Plan: domain.PlanBiz})
			tenant = t.ID
			return err
		}); err != nil {
			return nil, err
		}
		if b, ok := st.(bulkSeeder); ok {
			pro, err = bulkSeed(ctx, b, tenant, cfg, say)
		} else {
			pro, err = seed(ctx, st, tenant, cfg, say)
		}
		if err != nil {
			return nil, err
		}
		res.Seed = time.Since(began)
		say("seeded in %s", res.Seed.Round(time.Millisecond))
	}
	// Statistics as autovacuum would leave them after the bulk load.
	if a, ok := st.(interface{ Analyze(context.Context) error }); ok {
		if err := a.Analyze(ctx); err != nil {
			return nil, err
		}
	}

	seg, err := segs.Create(ctx, tenant, segment.Input{Name: "Loyal PRO", Definition: json.RawMessage(definition)}, nil)
	if err != nil {
		return nil, err
	}
	began = time.Now()
	ch, err := segs.Recompute(ctx, tenant, seg.ID, nil)
	if err != nil {
		return nil, err
	}
	res.Compute, res.Members = time.Since(began), ch.Members
	say("computed %d members in %s", ch.Members, res.Compute.Round(time.Millisecond))
	var computed time.Time
	if err := st.Read(ctx, tenant, func(tx store.Tx) error {
		cur, err := tx.SegmentGet(ctx, tenant, seg.ID)
		if err == nil {
			computed = *cur.ComputedAt
		}
		return err
	}); err != nil {
		return nil, err
	}

	if err := st.Queue().Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Queue().Stop(stop)
	}()
	// The computation Create queued runs again (nothing changes); let it
	// finish, so the probes time event updates alone.
	for deadline := time.Now().Add(10 * time.Minute); ; {
		var cur *domain.Segment
		if err := st.Read(ctx, tenant, func(tx store.Tx) error {
			var err error
			cur, err = tx.SegmentGet(ctx, tenant, seg.ID)
			return err
		}); err != nil {
			return nil, err
		}
		if cur.ComputeStartedAt == nil && cur.ComputedAt != nil && cur.ComputedAt.After(computed) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the queued computation of segment %s did not finish in 10 minutes", seg.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Probes: a PRO contact outside the segment gets two orders now.
	var lat []time.Duration
	for _, id := range pro {
		if len(lat) >= cfg.Probes {
			break
		}
		var in bool
		if err := st.Read(ctx, tenant, func(tx store.Tx) error {
			var err error
			in, err = tx.SegmentIsMember(ctx, tenant, seg.ID, id)
			return err
		}); err != nil {
			return nil, err
		}
		if in {
			continue
		}
		now := time.Now().UTC()
		if err := st.InTx(ctx, tenant, func(tx store.Tx) error {
			evs, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenant, Events: []store.EventInsert{
				{ContactID: id, Name: "order.completed", MessageID: uuid.NewString(), OccurredAt: now, ReceivedAt: now},
				{ContactID: id, Name: "order.completed", MessageID: uuid.NewString(), OccurredAt: now, ReceivedAt: now}}})
			if err != nil {
				return err
			}
			in := make([]engine.IncomingEvent, len(evs))
			for i := range evs {
				in[i] = engine.IncomingEvent{Event: evs[i]}
			}
			_, err = hook.EventTx(ctx, tx, in)
			return err
		}); err != nil {
			return nil, err
		}
		committed := time.Now()
		deadline := committed.Add(30 * time.Second)
		for {
			var member bool
			if err := st.Read(ctx, tenant, func(tx store.Tx) error {
				var err error
				member, err = tx.SegmentIsMember(ctx, tenant, seg.ID, id)
				return err
			}); err != nil {
				return nil, err
			}
			if member {
				lat = append(lat, time.Since(committed))
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("contact %s not in the segment 30 s after its events", id)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.Probes, res.P50, res.P99, res.Max = len(lat), lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	}
	say("event → membership: %d probes, p50 %s", res.Probes, res.P50.Round(time.Millisecond))

	// Broadcast to the segment at the highest rate.
	wf, err := publish(ctx, st, tenant)
	if err != nil {
		return nil, err
	}
	began = time.Now()
	b, err := bcs.Create(ctx, tenant, broadcast.Input{Name: "bench", WorkflowID: wf, SegmentID: seg.ID, RatePerSecond: broadcast.MaxRate}, nil)
	if err != nil {
		return nil, err
	}
	for {
		cur, err := bcs.Get(ctx, tenant, b.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status == domain.BroadcastCompleted {
			res.Started, res.Broadcast = cur.Started, time.Since(began)
			break
		}
		if time.Since(began) > 30*time.Minute {
			return nil, fmt.Errorf("broadcast at %d of %d after 30 minutes", cur.Done(), cur.Total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return res, nil
}

// seed writes the contacts (half PRO) and the events (70% order.completed
// within the last 60 days, the rest app.opened) in batches, and returns
// the PRO contacts' IDs in random order.
func seed(ctx context.Context, st store.Store, tenant uuid.UUID, cfg Config, say func(string, ...any)) ([]uuid.UUID, error) {
	const batch = 1000
	ids := make([]uuid.UUID, 0, cfg.Contacts)
	for from := 0; from < cfg.Contacts; from += batch {
		ps := make([]*store.ContactUpsertParams, 0, batch)
		for i := from; i < min(cfg.Contacts, from+batch); i++ {
			ext := fmt.Sprintf("c%d", i)
			plan := "PRO"
			if i%2 == 1 {
				plan = "FREE"
			}
			ps = append(ps, &store.ContactUpsertParams{TenantID: tenant, ExternalID: &ext, Attributes: json.RawMessage(`{"plan":"` + plan + `"}`)})
		}
		if err := st.InTx(ctx, tenant, func(tx store.Tx) error {
			rs, err := tx.ContactUpsertMany(ctx, ps)
			for _, r := range rs {
				ids = append(ids, r.Contact.ID)
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("seed contacts: %w", err)
		}
		if (from/batch)%100 == 99 {
			say("%d contacts", from+batch)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	for from := 0; from < cfg.Events; from += batch {
		evs := make([]store.EventInsert, 0, batch)
		for i := from; i < min(cfg.Events, from+batch); i++ {
			name := "order.completed"
			if rng.IntN(10) >= 7 {
				name = "app.opened"
			}
			at := now.Add(-time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
			evs = append(evs, store.EventInsert{ContactID: ids[rng.IntN(len(ids))], Name: name, MessageID: fmt.Sprintf("e%d", i), OccurredAt: at, ReceivedAt: at})
		}
		if err := st.InTx(ctx, tenant, func(tx store.Tx) error {
			_, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: tenant, Events: evs})
			return err
		}); err != nil {
			return nil, fmt.Errorf("seed events: %w", err)
		}
		if (from/batch)%500 == 499 {
			say("%d events", from+batch)
		}
	}
	var pro []uuid.UUID
	for i := 0; i < len(ids); i += 2 {
		pro = append(pro, ids[i])
	}
	rng.Shuffle(len(pro), func(i, j int) { pro[i], pro[j] = pro[j], pro[i] })
	return pro, nil
}

// bulkSeeder writes the same population as seed inside the database
// (PostgreSQL: generate_series), orders of magnitude faster.
type bulkSeeder interface {
	SeedContactsEvents(ctx context.Context, tenantID uuid.UUID, contacts, events int, progress func(contacts, events int)) error
	SeedContactID(tenantID uuid.UUID, i int) uuid.UUID
	SeedReuse(ctx context.Context) (tenantID uuid.UUID, contacts, events int, err error)
}

// bulkSeed seeds through b and returns up to 10,000 PRO contacts' IDs in
// random order (the probes' candidates).
func bulkSeed(ctx context.Context, b bulkSeeder, tenant uuid.UUID, cfg Config, say func(string, ...any)) ([]uuid.UUID, error) {
	err := b.SeedContactsEvents(ctx, tenant, cfg.Contacts, cfg.Events, func(contacts, events int) {
		say("%d contacts, %d events", contacts, events)
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return proProbes(b, tenant, cfg.Contacts), nil
}

// proProbes returns up to 10,000 of the seed's PRO contacts' IDs in
// random order.
func proProbes(b bulkSeeder, tenant uuid.UUID, contacts int) []uuid.UUID {
	rng := rand.New(rand.NewPCG(1, 2))
	n := min((contacts+1)/2, 10_000)
	pro := make([]uuid.UUID, 0, n)
	for _, k := range rng.Perm((contacts + 1) / 2)[:n] {
		pro = append(pro, b.SeedContactID(tenant, 2*k))
	}
	return pro
}

// publish stores manual trigger → end as a published workflow.
func publish(ctx context.Context, st store.Store, tenant uuid.UUID) (uuid.UUID, error) {
	def := json.RawMessage(`{"nodes":[{"id":"start","type":"trigger.manual","config":{}},{"id":"done","type":"end","config":{}}],
	 "edges":[{"id":"e1","source":"start","target":"done"}]}`)
	id := domain.NewID()
	err := st.InTx(ctx, tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: tenant, ID: id, Name: "broadcast", Definition: def}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: tenant, ID: domain.NewID(), WorkflowID: id, Version: 1, Definition: def})
		if err != nil {
			return err
		}
		_, err = tx.WorkflowSetCurrentVersion(ctx, tenant, id, v.ID, v.Version)
		return err
	})
	return id, err
}
