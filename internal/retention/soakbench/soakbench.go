// Package soakbench runs a steady journey load on a store with retention
// pruning at a short age for a set time, and samples the database's size
// and its history's rows at intervals, to show whether the size stays flat
// once pruning keeps pace (nextflow bench soak).
//
// The load: executions of a journey (manual trigger, a one-second delay, an
// http.request to a local sink, a pure node, end: five steps, one outbox
// row, a timer job and an effect job each) started at a steady rate in two
// tenants (FREE and PRO), events of a pool of contacts at a steady rate,
// and audit entries. Pruning is the production path: the River periodic
// job on the leader, every PruneEvery, with every age overridden to Age;
// River's job cleaner deletes finished jobs older than Age.
package soakbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/retention"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Config configures Run. Zero values take the defaults.
type Config struct {
	// Workers is the River bundle the store was opened with (see
	// QueueConfig); Run registers its workers there and starts the queue.
	Workers *river.Workers
	// Duration of the load (default 30 minutes).
	Duration time.Duration
	// Rate is executions started per second (default 20).
	Rate float64
	// EventRate is events stored per second (default 20).
	EventRate float64
	// AuditRate is audit entries written per second (default 1).
	AuditRate float64
	// Age is how long history is kept, every kind and plan (default 1
	// minute), and River's finished jobs too.
	Age time.Duration
	// PruneEvery is the prune job's interval (default 30 seconds).
	PruneEvery time.Duration
	// ReindexEvery is how often River's reindexer rebuilds the job table's
	// indexes on PostgreSQL (default 5 minutes; negative: River's own
	// schedule, daily at midnight UTC). River's GIN index on job args
	// keeps the keys of deleted jobs until it is rebuilt: in production it
	// grows for a day of jobs, then starts over; the soak compresses
	// that day like it compresses the retention ages.
	ReindexEvery time.Duration
	// Sample is the interval between samples (default 1 minute).
	Sample time.Duration
	// Vacuum stands in for autovacuum on a PostgreSQL server that has it
	// off (development servers often do): every PruneEvery the schema's
	// tables get a plain VACUUM. VacuumAuto (the default) does so only
	// when autovacuum is off.
	Vacuum VacuumMode
	// Progress receives each sample's line as it is taken (may be nil).
	Progress io.Writer
	Logger   *slog.Logger
}

func (c *Config) defaults() {
	if c.Duration <= 0 {
		c.Duration = 30 * time.Minute
	}
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.EventRate < 0 {
		c.EventRate = 0
	} else if c.EventRate == 0 {
		c.EventRate = 20
	}
	if c.AuditRate <= 0 {
		c.AuditRate = 1
	}
	if c.Age <= 0 {
		c.Age = time.Minute
	}
	if c.PruneEvery <= 0 {
		c.PruneEvery = 30 * time.Second
	}
	if c.Sample <= 0 {
		c.Sample = time.Minute
	}
	if c.ReindexEvery == 0 {
		c.ReindexEvery = 5 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// VacuumMode says whether the soak vacuums PostgreSQL tables itself.
type VacuumMode int

// Vacuum modes.
const (
	VacuumAuto VacuumMode = iota
	VacuumAlways
	VacuumNever
)

// QueueConfig is what the store must be opened with for Run: the prune's
// periodic job every PruneEvery and River's finished jobs kept for Age.
func QueueConfig(cfg Config) store.QueueConfig {
	cfg.defaults()
	if cfg.Workers == nil {
		cfg.Workers = river.NewWorkers()
	}
	return store.QueueConfig{
		Workers:            cfg.Workers,
		CompletedRetention: cfg.Age,
		CancelledRetention: cfg.Age,
		DiscardedRetention: cfg.Age,
		PeriodicJobs:       []*river.PeriodicJob{retention.PeriodicJob(cfg.PruneEvery)},
		ReindexEvery:       max(cfg.ReindexEvery, 0),
	}
}

// Sample is the state at one moment of the run.
type Sample struct {
	// At is the time since the load began.
	At time.Duration
	// Bytes and FreeBytes: see store.DatabaseSize.
	Bytes, FreeBytes int64
	// Rows per table (store.SizeTables).
	Rows map[string]int64
	// Relations are every table and index with its size (PostgreSQL).
	Relations []store.RelationSize
	// OldestXact: see store.DatabaseSize.
	OldestXact time.Duration
	// Started and Finished count executions since the previous sample;
	// P50 and P99 are the start-to-end latency of those finished.
	Started, Finished int
	P50, P99          time.Duration
}

// Result is a run's samples.
type Result struct {
	Dialect string
	Config  Config
	Samples []Sample
	// PruneRuns counts the prune jobs that completed.
	PruneRuns int64
	// Vacuums counts the soak's own VACUUM rounds (see Config.Vacuum).
	Vacuums int64
}

// journey is the soak's workflow: five steps, a timer and a side effect.
func journey(sinkURL string) string {
	return fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "pause", "type": "delay", "config": {"duration": "1s"}},
	  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": %q, "body": {"execution": "{{ execution.id }}"}}},
	  {"id": "tag", "type": "set_attribute", "config": {"target": "vars", "attributes": {"status": "steps.call.output.status"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [{"id": "e1", "source": "start", "target": "pause"}, {"id": "e2", "source": "pause", "target": "call"},
	  {"id": "e3", "source": "call", "target": "tag"}, {"id": "e4", "source": "tag", "target": "done"}]}`, sinkURL+"/soak")
}

// tenant is one of the soak's tenants.
type tenant struct {
	id       uuid.UUID
	workflow uuid.UUID
	contacts []uuid.UUID
}

const contactsPerTenant = 100

// Run runs the load for cfg.Duration and returns the samples. The store
// must have been opened with QueueConfig(cfg) and must not be started.
func Run(ctx context.Context, st store.Store, cfg Config) (*Result, error) {
	cfg.defaults()
	if cfg.Workers == nil {
		return nil, fmt.Errorf("soak: Config.Workers is the bundle the store was opened with (QueueConfig)")
	}
	sizer, ok := st.(store.SizeReporter)
	if !ok {
		return nil, fmt.Errorf("soak: %T cannot measure its database", st)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer sink.Close()

	rec := &recorder{started: map[uuid.UUID]time.Time{}}
	eng := engine.New(st, engine.Options{Logger: cfg.Logger, Publisher: rec,
		HTTP: engine.HTTPOptions{Allow: []string{"127.0.0.1"}}})
	defer eng.Close()
	eng.RegisterWorkers(cfg.Workers)
	age := cfg.Age
	pruner := retention.New(st, retention.Options{Logger: cfg.Logger,
		Overrides: retention.Overrides{Executions: &age, Events: &age, Audit: &age}})
	pruner.RegisterWorkers(cfg.Workers)

	tenants := make([]tenant, 0, 2)
	for _, p := range []domain.Plan{domain.PlanFree, domain.PlanPro} {
		t, err := setupTenant(ctx, st, p, journey(sink.URL))
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, t)
	}

	res := &Result{Dialect: st.Dialect(), Config: cfg}
	// The prune jobs that completed (each logs what it deleted; the
	// samples show the rows left).
	jobs, cancelJobs := st.Queue().Subscribe(river.EventKindJobCompleted)
	var pruneRuns atomic.Int64
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for ev := range jobs {
			if ev.Job != nil && ev.Job.Kind == (retention.Args{}).Kind() {
				pruneRuns.Add(1)
			}
		}
	}()
	defer func() {
		cancelJobs()
		<-counted
		res.PruneRuns = pruneRuns.Load()
	}()
	if err := st.Queue().Start(ctx); err != nil {
		return nil, fmt.Errorf("soak: start queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = st.Queue().Stop(stopCtx)
	}()

	vacuum, err := vacuumer(ctx, st, cfg.Vacuum)
	if err != nil {
		return nil, err
	}
	var vacuums atomic.Int64
	var vacuuming sync.WaitGroup
	vacuumBusy := make(chan struct{}, 1)
	defer func() {
		vacuuming.Wait()
		res.Vacuums = vacuums.Load()
	}()
	if cfg.Progress != nil {
		if vacuum != nil {
			fmt.Fprintf(cfg.Progress, "autovacuum is off on this server: the soak runs a plain VACUUM of its tables every %s in its place\n", cfg.PruneEvery)
		}
		fmt.Fprintln(cfg.Progress, header())
	}
	sample := func(at time.Duration) error {
		size, err := sizer.DatabaseSize(ctx)
		if err != nil {
			return fmt.Errorf("soak: measure database: %w", err)
		}
		s := Sample{At: at, Bytes: size.Bytes, FreeBytes: size.FreeBytes, Rows: size.Rows, Relations: size.Relations,
			OldestXact: size.OldestXact}
		s.Started, s.Finished, s.P50, s.P99 = rec.window()
		res.Samples = append(res.Samples, s)
		if cfg.Progress != nil {
			fmt.Fprintln(cfg.Progress, s.line())
		}
		return nil
	}
	if err := sample(0); err != nil {
		return res, err
	}

	begin := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var started, events, audits, round int
	nextSample, nextVacuum := cfg.Sample, cfg.PruneEvery
	for ; ; round++ {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		elapsed := time.Since(begin)
		if elapsed >= nextSample {
			if err := sample(nextSample); err != nil {
				return res, err
			}
			nextSample += cfg.Sample
		}
		if elapsed >= cfg.Duration {
			break
		}
		if vacuum != nil && elapsed >= nextVacuum {
			nextVacuum += cfg.PruneEvery
			select {
			case vacuumBusy <- struct{}{}:
				vacuuming.Go(func() {
					defer func() { <-vacuumBusy }()
					if err := vacuum.Vacuum(ctx); err != nil {
						cfg.Logger.WarnContext(ctx, "soak: vacuum", "error", err)
						return
					}
					vacuums.Add(1)
				})
			default: // the last one is still running
			}
		}
		if n := int(cfg.Rate*elapsed.Seconds()) - started; n > 0 {
			if err := startExecutions(ctx, eng, rec, tenants[round%len(tenants)], n); err != nil {
				return res, err
			}
			started += n
		}
		if n := int(cfg.EventRate*elapsed.Seconds()) - events; n > 0 {
			if err := insertEvents(ctx, st, tenants[round%len(tenants)], n, events); err != nil {
				return res, err
			}
			events += n
		}
		if n := int(cfg.AuditRate*elapsed.Seconds()) - audits; n > 0 {
			if err := insertAudit(ctx, st, tenants[round%len(tenants)], n); err != nil {
				return res, err
			}
			audits += n
		}
	}
	return res, nil
}

// vacuumer returns the store's Vacuumer when the soak should vacuum.
func vacuumer(ctx context.Context, st store.Store, mode VacuumMode) (store.Vacuumer, error) {
	v, ok := st.(store.Vacuumer)
	if !ok || mode == VacuumNever {
		return nil, nil
	}
	if mode == VacuumAlways {
		return v, nil
	}
	on, err := v.AutovacuumOn(ctx)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	if on {
		return nil, nil
	}
	return v, nil
}

func setupTenant(ctx context.Context, st store.Store, p domain.Plan, def string) (tenant, error) {
	var t tenant
	err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		slug := "soak-" + strings.ToLower(string(p)) + "-" + uuid.NewString()[:8]
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: slug, Slug: slug, Plan: p})
		if err != nil {
			return fmt.Errorf("soak: create tenant: %w", err)
		}
		t.id = tn.ID
		return nil
	})
	if err != nil {
		return t, err
	}
	err = st.InTx(ctx, t.id, func(tx store.Tx) error {
		var err error
		if t.workflow, err = benchfixture.PublishTx(ctx, tx, t.id, "soak", json.RawMessage(def)); err != nil {
			return err
		}
		for i := range contactsPerTenant {
			ext := fmt.Sprintf("soak-%d", i)
			c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: t.id, ExternalID: &ext})
			if err != nil {
				return fmt.Errorf("soak: create contact: %w", err)
			}
			t.contacts = append(t.contacts, c.ID)
		}
		return nil
	})
	return t, err
}

func startExecutions(ctx context.Context, eng *engine.Engine, rec *recorder, t tenant, n int) error {
	ps := make([]engine.StartParams, n)
	for i := range ps {
		ps[i] = engine.StartParams{TenantID: t.id, WorkflowID: t.workflow, TriggerType: workflow.TypeTriggerManual}
	}
	at := time.Now()
	var execs []*domain.Execution
	err := eng.Store().InTx(ctx, t.id, func(tx store.Tx) error {
		var err error
		execs, err = eng.StartManyTx(ctx, tx, ps)
		return err
	})
	if err != nil {
		return fmt.Errorf("soak: start %d executions: %w", n, err)
	}
	rec.start(execs, at)
	return nil
}

func insertEvents(ctx context.Context, st store.Store, t tenant, n, seq int) error {
	evs := make([]store.EventInsert, n)
	now := time.Now()
	for i := range evs {
		evs[i] = store.EventInsert{ContactID: t.contacts[(seq+i)%len(t.contacts)], Name: "page.viewed",
			Properties: json.RawMessage(`{"path":"/pricing","referrer":"https://example.com/blog"}`),
			OccurredAt: now, MessageID: uuid.NewString()}
	}
	err := st.InTx(ctx, t.id, func(tx store.Tx) error {
		_, err := tx.EventInsertMany(ctx, &store.EventInsertManyParams{TenantID: t.id, Events: evs})
		return err
	})
	if err != nil {
		return fmt.Errorf("soak: store %d events: %w", n, err)
	}
	return nil
}

func insertAudit(ctx context.Context, st store.Store, t tenant, n int) error {
	err := st.InTx(ctx, t.id, func(tx store.Tx) error {
		for range n {
			if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: t.id, ActorType: "system", Action: "workflow.update",
				TargetType: "workflow", TargetID: t.workflow.String(), Data: json.RawMessage(`{"soak":true}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("soak: write %d audit entries: %w", n, err)
	}
	return nil
}

// recorder is the engine's publisher: it notes when each execution ended,
// for the latencies of a sample window.
type recorder struct {
	mu        sync.Mutex
	started   map[uuid.UUID]time.Time
	latencies []time.Duration
	nStarted  int
	early     map[uuid.UUID]time.Time
}

func (r *recorder) start(execs []*domain.Execution, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nStarted += len(execs)
	for _, e := range execs {
		if end, ok := r.early[e.ID]; ok {
			// Ended before its start was recorded (a start transaction
			// that ran it to the end).
			delete(r.early, e.ID)
			r.latencies = append(r.latencies, end.Sub(at))
			continue
		}
		r.started[e.ID] = at
	}
}

// Publish notes executions reaching a final status.
func (r *recorder) Publish(_ context.Context, events ...live.Event) error {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		if ev.Kind != live.KindExecution || !domain.ExecutionStatus(ev.Status).Terminal() {
			continue
		}
		at, ok := r.started[ev.ExecutionID]
		if !ok {
			if r.early == nil {
				r.early = map[uuid.UUID]time.Time{}
			}
			r.early[ev.ExecutionID] = now
			continue
		}
		delete(r.started, ev.ExecutionID)
		r.latencies = append(r.latencies, now.Sub(at))
	}
	return nil
}

// window returns the executions started and finished since the last call
// and the finished ones' p50 and p99 latency, and starts a new window.
func (r *recorder) window() (started, finished int, p50, p99 time.Duration) {
	r.mu.Lock()
	lat := r.latencies
	started = r.nStarted
	r.latencies, r.nStarted = nil, 0
	r.mu.Unlock()
	if len(lat) == 0 {
		return started, 0, 0, 0
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return started, len(lat), q(0.50), q(0.99)
}

func header() string {
	return fmt.Sprintf("%6s %10s %9s %11s %9s %8s %8s %8s %7s %9s %8s %8s %8s %8s %9s",
		"time", "db size", "free", "executions", "steps", "outbox", "messages", "events", "audit", "river_job",
		"started", "finished", "p50", "p99", "oldest tx")
}

func (s Sample) line() string {
	return fmt.Sprintf("%6s %10s %9s %11d %9d %8d %8d %8d %7d %9d %8d %8d %8s %8s %9s",
		fmtAt(s.At), mib(s.Bytes), mib(s.FreeBytes), s.Rows["workflow_executions"], s.Rows["workflow_execution_steps"],
		s.Rows["outbox"], s.Rows["messages"], s.Rows["events"], s.Rows["audit_log"], s.Rows["river_job"],
		s.Started, s.Finished, s.P50.Round(time.Millisecond), s.P99.Round(time.Millisecond), s.OldestXact.Round(time.Second))
}

func fmtAt(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// WarmUp is when the size should stop growing: history reaches its age,
// a prune runs, and River's cleaner (every 30 s) follows.
func (r *Result) WarmUp() time.Duration {
	return r.Config.Age + r.Config.PruneEvery + 30*time.Second
}

// judged returns the samples the verdict is taken over: those of the
// second half of the run that come after the warm-up (the warm-up alone
// when the run is too short to halve), so the slow settling of the files
// after the warm-up (free space spread over pages and indexes until each
// reaches its steady fill) is not taken for growth.
func (r *Result) judged() []Sample {
	if len(r.Samples) == 0 {
		return nil
	}
	from := max(r.WarmUp(), r.Samples[len(r.Samples)-1].At/2)
	var out []Sample
	for _, s := range r.Samples {
		if s.At >= from {
			out = append(out, s)
		}
	}
	if len(out) < 2 {
		out = out[:0]
		for _, s := range r.Samples {
			if s.At >= r.WarmUp() {
				out = append(out, s)
			}
		}
	}
	return out
}

// FlatPercent is the growth over the judged part of a run up to which
// the size counts as flat.
const FlatPercent = 5

// Verdict is what a run shows about the database's size.
type Verdict struct {
	// From and To bound the judged samples (the second half of the run,
	// after the warm-up).
	From, To time.Duration
	// First and Last are the size at From and To; Lo and Hi the smallest
	// and largest between.
	First, Last, Lo, Hi int64
	// Peak1 and Peak2 are the largest size in the first and in the second
	// half of the judged samples; Percent is the growth from Peak1 to
	// Peak2. Peaks, not the first and last sample: the size is a saw
	// (vacuums make room that fills again, a reindex shrinks the job
	// table's indexes), and a sample may fall on a tooth or a gap.
	Peak1, Peak2 int64
	Percent      float64
	// Flat: Percent is at most FlatPercent.
	Flat bool
	// Growers are the relations that grew most from From to To (at most
	// five, largest first).
	Growers []Grower
	// Unbounded names the tables whose rows grew by more than a fifth
	// (and 100 rows) from From to To: a table pruning does not hold.
	Unbounded []string
	// HeldBack is the longest another session's transaction was seen
	// open in the judged samples; Dead and Live are the dead and live
	// rows of the tables at the last sample. A transaction open for
	// longer than the history's age keeps vacuum from removing what was
	// pruned: the files grow for a reason outside NextFlow.
	HeldBack   time.Duration
	Dead, Live int64
}

// Grower is a table or an index and how much it grew.
type Grower struct {
	store.RelationSize
	Delta int64
}

// Judge compares the judged samples' first and last size and says where
// the growth went; ok is false when fewer than two samples come after the
// warm-up.
func (r *Result) Judge() (v Verdict, ok bool) {
	js := r.judged()
	if len(js) < 2 {
		return v, false
	}
	first, last := js[0], js[len(js)-1]
	v = Verdict{From: first.At, To: last.At, First: first.Bytes, Last: last.Bytes, Lo: first.Bytes, Hi: first.Bytes}
	for _, s := range js {
		v.Lo, v.Hi = min(v.Lo, s.Bytes), max(v.Hi, s.Bytes)
		v.HeldBack = max(v.HeldBack, s.OldestXact)
	}
	for _, rel := range last.Relations {
		if !rel.Index {
			v.Dead += rel.DeadRows
			v.Live += rel.LiveRows
		}
	}
	half := len(js) / 2
	for i, s := range js {
		if i < half {
			v.Peak1 = max(v.Peak1, s.Bytes)
		} else {
			v.Peak2 = max(v.Peak2, s.Bytes)
		}
	}
	v.Percent = 100 * float64(v.Peak2-v.Peak1) / float64(max(v.Peak1, 1))
	v.Flat = v.Percent <= FlatPercent
	before := map[string]store.RelationSize{}
	for _, rel := range first.Relations {
		before[rel.Name] = rel
	}
	for _, rel := range last.Relations {
		if d := rel.Bytes - before[rel.Name].Bytes; d > 0 {
			v.Growers = append(v.Growers, Grower{RelationSize: rel, Delta: d})
		}
	}
	slices.SortFunc(v.Growers, func(a, b Grower) int { return int(b.Delta - a.Delta) })
	v.Growers = v.Growers[:min(len(v.Growers), 5)]
	grew := func(name string, a, b int64) {
		if b-a > 100 && 5*b > 6*a {
			v.Unbounded = append(v.Unbounded, name)
		}
	}
	for _, t := range store.SizeTables {
		grew(t, first.Rows[t], last.Rows[t])
	}
	for _, rel := range last.Relations {
		if !rel.Index && !slices.Contains(store.SizeTables, rel.Name) {
			grew(rel.Name, before[rel.Name].LiveRows, rel.LiveRows)
		}
	}
	return v, true
}

// String renders the samples as a table with the verdict.
func (r *Result) String() string {
	var b strings.Builder
	c := r.Config
	fmt.Fprintf(&b, "soak on %s: %s, %.0f executions/s (5 steps, 1 outbox row, 1 s delay, http.request), %.0f events/s, %.0f audit entries/s, 2 tenants;\n"+
		"history and River's finished jobs kept %s, pruned every %s (%d prune jobs completed)\n",
		r.Dialect, c.Duration, c.Rate, c.EventRate, c.AuditRate, c.Age, c.PruneEvery, r.PruneRuns)
	if r.Dialect == "postgres" {
		if c.ReindexEvery > 0 {
			fmt.Fprintf(&b, "River's reindexer rebuilds the job table's indexes every %s (production: daily)\n", c.ReindexEvery)
		} else {
			b.WriteString("River's reindexer on its own schedule (daily at midnight UTC): its GIN index on job args grows until then\n")
		}
	}
	if r.Vacuums > 0 {
		fmt.Fprintf(&b, "the soak ran %d plain VACUUM rounds of its tables in place of autovacuum (off on this server)\n", r.Vacuums)
	}
	b.WriteString(header())
	b.WriteByte('\n')
	for _, s := range r.Samples {
		b.WriteString(s.line())
		b.WriteByte('\n')
	}
	v, ok := r.Judge()
	if !ok {
		fmt.Fprintf(&b, "too short to judge: fewer than two samples after the warm-up of %s\n", r.WarmUp())
		return b.String()
	}
	if len(v.Growers) > 0 {
		fmt.Fprintf(&b, "grew most from %s to %s:", fmtAt(v.From), fmtAt(v.To))
		for _, g := range v.Growers {
			kind := "table"
			if g.Index {
				kind = "index on " + g.Of
			}
			fmt.Fprintf(&b, " %s (%s) %+.2f MiB;", g.Name, kind, float64(g.Delta)/(1<<20))
		}
		b.WriteByte('\n')
	}
	verdict := "flat"
	switch {
	case v.Flat:
	case v.HeldBack > r.Config.Age:
		verdict = fmt.Sprintf("GROWING, NOT JUDGED: another session's transaction stayed open %s (longer than the history's age), "+
			"so vacuum could not remove the pruned rows (%d dead vs %d live at the end); rerun when the database is quiet",
			v.HeldBack.Round(time.Second), v.Dead, v.Live)
	case len(v.Unbounded) > 0:
		verdict = "GROWING: rows pile up in " + strings.Join(v.Unbounded, ", ")
	default:
		verdict = "GROWING with the rows flat: free space not reused (bloat)"
	}
	fmt.Fprintf(&b, "judged from %s (second half, after the warm-up of %s) to %s: size %s … %s, peak %s then %s, %+.1f%% (flat up to %d%%): %s\n",
		fmtAt(v.From), r.WarmUp(), fmtAt(v.To), mib(v.Lo), mib(v.Hi), mib(v.Peak1), mib(v.Peak2), v.Percent, FlatPercent, verdict)
	return b.String()
}
