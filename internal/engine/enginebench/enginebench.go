// Package enginebench measures the engine through its exported API: the
// throughput and latency of pure journeys started eagerly and queued, of
// a delay and an http.request against a local sink, of a journey with one
// side effect (an http.request against an in-process server), of journeys
// with one email send (an in-process SMTP server) and one WhatsApp send
// (the fake Cloud API), of timers falling due, and of raw River no-op jobs
// on the same store (nextflow bench engine).
package enginebench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	"github.com/nextflow-dev/nextflow/internal/benchmeter"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Config configures Run.
type Config struct {
	// Workers is the River bundle the store was opened with
	// (store.QueueConfig.Workers); Run registers the engine's workers and
	// its own no-op worker in it and starts the queue, so the queue must
	// not have been started.
	Workers *river.Workers
	// Executions is the number of executions of the pure workflow (default
	// 2000); the HTTP workflow runs a quarter as many, the raw River run as
	// many no-op jobs.
	Executions int
	// Nodes is the number of pure nodes in the pure workflow (default 5).
	Nodes int
	// StartBatch is how many executions one transaction starts (default 500).
	StartBatch int
	// Timeout bounds each phase (default 5 minutes).
	Timeout time.Duration
	// Engine is the base engine configuration (Logger, PureBudget…).
	Engine engine.Options
	// Meter, when set, reads the costs the side-effect and send phases
	// report per execution (Phase.Cost).
	Meter func(context.Context) benchmeter.Usage
	// Profile, when set, is called as each saturated side-effect and send
	// phase begins, with its name, and what it returns when it ends (a
	// CPU and heap profile of that phase alone).
	Profile func(phase string) (stop func())
}

// Cost is a phase's Usage divided by its executions.
type Cost struct {
	ProcessCPU, DBCPU    time.Duration
	Counted              bool
	Commits, Statements  float64
	WALRecords, WALBytes float64
}

// costOf is the cost per execution of n executions between before and
// after.
func costOf(before, after benchmeter.Usage, n int) Cost {
	if n <= 0 {
		return Cost{}
	}
	d := after.Since(before)
	per := func(v int64) float64 { return float64(v) / float64(n) }
	return Cost{
		ProcessCPU: d.ProcessCPU / time.Duration(n),
		DBCPU:      d.DBCPU / time.Duration(n),
		Counted:    d.Counted,
		Commits:    per(d.Commits),
		Statements: per(d.Statements),
		WALRecords: per(d.WALRecords),
		WALBytes:   per(d.WALBytes),
	}
}

// String renders the cost per execution.
func (c Cost) String() string {
	s := fmt.Sprintf("CPU/exec: process %dµs, database %dµs", c.ProcessCPU.Microseconds(), c.DBCPU.Microseconds())
	if c.Counted {
		s += fmt.Sprintf("; commits/exec %.2f, statements/exec %.2f; WAL/exec %.1f records, %.0f bytes",
			c.Commits, c.Statements, c.WALRecords, c.WALBytes)
	}
	return s
}

// Phase is the outcome of one measured phase.
type Phase struct {
	Name       string
	Executions int
	Steps      int
	Elapsed    time.Duration
	PerSecond  float64
	StepsPerS  float64
	P50, P99   time.Duration
	Incomplete int
	// Started is how long starting (inserting) the executions took.
	Started time.Duration
	// Cost is what each execution cost (side-effect and send phases with
	// Config.Meter set; zero otherwise).
	Cost Cost
	// Batches is what the advance group commit did during the phase
	// (side-effect and send phases).
	Batches engine.GroupCommitStats
	// Calls is what the dispatcher of calls made after their start did
	// during the phase (engine.Options.CallAfterStart).
	Calls engine.CallStats
}

// Result is what Run measured.
type Result struct {
	Dialect string
	Nodes   int
	// Pure is the pure workflow started the default way (eager start: the
	// start transaction runs the pure nodes).
	Pure Phase
	// Queued is the pure workflow with every node run by advance jobs (the
	// path of any journey past its first wait or side effect).
	Queued Phase
	HTTP   Phase
	// Effect is a journey with one side effect (trigger, http.request
	// against an in-process server on 127.0.0.1, a pure node, end) started
	// the default way; EffectPaced the same at half the rate Effect
	// reached: latency below saturation.
	Effect, EffectPaced Phase
	// Tenants is the same journey run by several tenants at once (a
	// workflow each, their executions started in turn), and TenantsPaced
	// at half its rate.
	Tenants, TenantsPaced Phase
	// Email and WhatsApp are the same journey with an email.send to an
	// in-process SMTP server, and with a whatsapp.send (template) to the
	// fake Cloud API, saturated and paced: one send per execution, so
	// exec/s is sends/s and the latency runs from the start to the
	// execution's end, committed with the message's "sent".
	Email, EmailPaced, WhatsApp, WhatsAppPaced Phase
	// Paced is the queued pure workflow started at half the rate Queued
	// reached: latency through the queue below saturation. EagerPaced is
	// the same for the default start, at half the rate Pure reached.
	Paced, EagerPaced Phase
	// Timers is 1,000 delays falling due within about a second: P50/P99
	// are the lateness from each one's due time to its execution's end.
	Timers Phase
	// TimersSpread is the time between the first and last due time.
	TimersSpread time.Duration
	// TimerPickupP50 and TimerPickupP99 are the lateness from each delay's
	// due time to the moment its wake-up job took the execution up (the
	// delay step's resumedAt).
	TimerPickupP50, TimerPickupP99 time.Duration
	// River is raw River throughput of no-op jobs inserted the same way.
	River Phase
	// Ratio is pure executions/s over raw River jobs/s; QueuedRatio the
	// same for Queued.
	Ratio, QueuedRatio float64
}

// String renders the result as a small table.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "engine bench on %s (%d pure nodes per execution)\n", r.Dialect, r.Nodes)
	fmt.Fprintf(&b, "%-36s %8s %10s %10s %12s %10s %10s\n", "phase", "n", "elapsed", "exec/s", "steps/s", "p50", "p99")
	for _, p := range []Phase{r.Pure, r.EagerPaced, r.Queued, r.Paced, r.HTTP, r.Effect, r.EffectPaced,
		r.Tenants, r.TenantsPaced, r.Email, r.EmailPaced, r.WhatsApp, r.WhatsAppPaced, r.Timers, r.River} {
		if p.Executions == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-36s %8d %10s %10.0f %12.0f %10s %10s", p.Name, p.Executions,
			p.Elapsed.Round(time.Millisecond), p.PerSecond, p.StepsPerS, p.P50.Round(100*time.Microsecond), p.P99.Round(100*time.Microsecond))
		if p.Started > 0 {
			fmt.Fprintf(&b, "  (started in %s)", p.Started.Round(time.Millisecond))
		}
		if p.Incomplete > 0 {
			fmt.Fprintf(&b, "  (%d incomplete)", p.Incomplete)
		}
		b.WriteByte('\n')
	}
	if r.Timers.Executions > 0 {
		fmt.Fprintf(&b, "timers: %d delays due within %s; p50/p99 above are lateness from due time to the execution's end;\n"+
			"        picked up (due time to the wake-up job taking the execution): p50 %s, p99 %s\n",
			r.Timers.Executions, r.TimersSpread.Round(time.Millisecond),
			r.TimerPickupP50.Round(100*time.Microsecond), r.TimerPickupP99.Round(100*time.Microsecond))
	}
	writeCosts(&b, r.Effect, r.EffectPaced, r.Tenants, r.TenantsPaced, r.Email, r.EmailPaced, r.WhatsApp, r.WhatsAppPaced)
	fmt.Fprintf(&b, "engine/raw River ratio: %.2f (eager start), %.2f (queued)\n", r.Ratio, r.QueuedRatio)
	writeSendRatios(&b, r.Effect, r.Email, r.WhatsApp)
	return b.String()
}

// benchNoopArgs is the raw River job of the bench.
type benchNoopArgs struct {
	Seq int `json:"seq"`
}

func (benchNoopArgs) Kind() string { return "nextflow.bench_noop" }

type benchNoopWorker struct {
	river.WorkerDefaults[benchNoopArgs]
	rec *benchRecorder
}

func (w *benchNoopWorker) Work(context.Context, *river.Job[benchNoopArgs]) error {
	w.rec.noop()
	return nil
}

// benchRecorder is the engine's publisher during the bench: it notes when
// each execution finished, losing nothing.
type benchRecorder struct {
	mu       sync.Mutex
	finished map[uuid.UUID]time.Time
	// before is len(finished) when the current phase began.
	before   int
	noops    atomic.Int64
	noopDone time.Time
	noopWant int64
	changed  chan struct{}
}

func newBenchRecorder() *benchRecorder {
	return &benchRecorder{finished: map[uuid.UUID]time.Time{}, changed: make(chan struct{}, 1)}
}

func (r *benchRecorder) Publish(_ context.Context, events ...live.Event) error {
	now := time.Now()
	n := 0
	r.mu.Lock()
	for _, ev := range events {
		if ev.Kind == live.KindExecution && domain.ExecutionStatus(ev.Status).Terminal() {
			r.finished[ev.ExecutionID] = now
			n++
		}
	}
	r.mu.Unlock()
	if n > 0 {
		r.signal()
	}
	return nil
}

func (r *benchRecorder) noop() {
	if r.noops.Add(1) == r.noopWant {
		r.mu.Lock()
		r.noopDone = time.Now()
		r.mu.Unlock()
		r.signal()
	}
}

func (r *benchRecorder) signal() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// Run measures the engine on st: executions of a chain of pure nodes,
// executions of delay 0 + http.request against a local sink, and raw River
// throughput of as many no-op jobs, all started in batches of StartBatch
// per transaction. It creates its own tenant and workflows.
func Run(ctx context.Context, st store.Store, cfg Config) (*Result, error) {
	if cfg.Workers == nil {
		return nil, errors.New("bench: Config.Workers is required")
	}
	if cfg.Executions <= 0 {
		cfg.Executions = 2000
	}
	if cfg.Nodes <= 0 {
		cfg.Nodes = 5
	}
	if cfg.StartBatch <= 0 {
		cfg.StartBatch = 500
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer sink.Close()

	rec := newBenchRecorder()
	opts := cfg.Engine
	opts.Publisher = rec
	opts.HTTP.Allow = append(slices.Clone(opts.HTTP.Allow), "127.0.0.1")
	sinks, err := startSendSinks(st, opts.Logger)
	if err != nil {
		return nil, err
	}
	defer sinks.Close()
	opts.SideEffects = append(slices.Clone(opts.SideEffects), sinks.effects...)
	// One engine runs the jobs and starts eagerly; a second one, without
	// workers, starts the queued phases' executions.
	eager := engine.New(st, opts)
	defer eager.Close()
	eager.RegisterWorkers(cfg.Workers)
	opts.QueuedStart = true
	queued := engine.New(st, opts)
	defer queued.Close()
	eng := &engines{eager: eager, queued: queued}
	river.AddWorker(cfg.Workers, &benchNoopWorker{rec: rec})

	tenantID, pureWF, httpWF, timerWF, err := benchSetup(ctx, st, cfg.Nodes, sink.URL)
	if err != nil {
		return nil, err
	}
	effectWF, err := benchfixture.Publish(ctx, st, tenantID, "bench effect", effectDef(sink.URL))
	if err != nil {
		return nil, err
	}
	if err := st.Queue().Start(ctx); err != nil {
		return nil, fmt.Errorf("bench: start queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = st.Queue().Stop(stopCtx)
	}()

	res := &Result{Dialect: st.Dialect(), Nodes: cfg.Nodes}
	if res.Pure, err = benchExecutions(ctx, eng, rec, tenantID, pureWF, "pure chain", false, cfg.Executions, cfg.StartBatch, cfg.Nodes+2, cfg.Timeout); err != nil {
		return res, err
	}
	if res.Pure.PerSecond > 0 {
		rate := max(10, res.Pure.PerSecond/2)
		n := max(1, min(cfg.Executions, int(rate*3))) // about three seconds
		if res.EagerPaced, err = benchPaced(ctx, eng, rec, tenantID, pureWF, false, rate, n, cfg.Nodes+2, cfg.Timeout); err != nil {
			return res, err
		}
	}
	if res.Queued, err = benchExecutions(ctx, eng, rec, tenantID, pureWF, "pure chain, queued", true, cfg.Executions, cfg.StartBatch, cfg.Nodes+2, cfg.Timeout); err != nil {
		return res, err
	}
	if res.Queued.PerSecond > 0 {
		rate := max(10, res.Queued.PerSecond/2)
		n := max(1, min(cfg.Executions, int(rate*3))) // about three seconds
		if res.Paced, err = benchPaced(ctx, eng, rec, tenantID, pureWF, true, rate, n, cfg.Nodes+2, cfg.Timeout); err != nil {
			return res, err
		}
	}
	if res.HTTP, err = benchExecutions(ctx, eng, rec, tenantID, httpWF, "delay 0 + http.request", false, max(1, cfg.Executions/4), cfg.StartBatch, 4, cfg.Timeout); err != nil {
		return res, err
	}
	if res.Effect, res.EffectPaced, err = benchEffect(ctx, eng, rec, tenantID, effectWF, "one side effect", cfg); err != nil {
		return res, err
	}
	if res.Tenants, res.TenantsPaced, err = benchEffectTenants(ctx, eng, rec, st, effectDef(sink.URL), cfg); err != nil {
		return res, err
	}
	if res.Email, res.EmailPaced, res.WhatsApp, res.WhatsAppPaced, err = benchSends(ctx, eng, rec, sinks, st, tenantID, cfg); err != nil {
		return res, err
	}
	var pickup []time.Duration
	if res.Timers, res.TimersSpread, pickup, err = benchTimers(ctx, eng, rec, tenantID, timerWF, 1000, cfg.Timeout); err != nil {
		return res, err
	}
	res.TimerPickupP50, res.TimerPickupP99 = percentiles(pickup)
	if res.River, err = benchRiver(ctx, st, rec, tenantID, cfg.Executions, cfg.StartBatch, cfg.Timeout); err != nil {
		return res, err
	}
	if res.River.PerSecond > 0 {
		res.Ratio = res.Pure.PerSecond / res.River.PerSecond
		res.QueuedRatio = res.Queued.PerSecond / res.River.PerSecond
	}
	return res, nil
}

func benchSetup(ctx context.Context, st store.Store, nodes int, sinkURL string) (tenantID, pureWF, httpWF, timerWF uuid.UUID, err error) {
	if tenantID, err = benchfixture.Tenant(ctx, st, domain.PlanFree); err != nil {
		return
	}
	httpDef := fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "pause", "type": "delay", "config": {"duration": "0s"}},
	  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": %q, "body": {"execution": "{{ execution.id }}"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [{"id": "e1", "source": "start", "target": "pause"}, {"id": "e2", "source": "pause", "target": "call"},
	  {"id": "e3", "source": "call", "target": "done"}]}`, sinkURL+"/sink")
	err = st.InTx(ctx, tenantID, func(tx store.Tx) error {
		for i, def := range []string{chainDef(nodes), httpDef, timerDef} {
			id, err := benchfixture.PublishTx(ctx, tx, tenantID, fmt.Sprintf("bench %d", i), json.RawMessage(def))
			if err != nil {
				return err
			}
			switch i {
			case 0:
				pureWF = id
			case 1:
				httpWF = id
			default:
				timerWF = id
			}
		}
		return nil
	})
	return
}

func benchExecutions(ctx context.Context, eng *engines, rec *benchRecorder, tenantID, wfID uuid.UUID, name string, queued bool, n, batch, stepsEach int, timeout time.Duration) (Phase, error) {
	return benchExecutionsOf(ctx, eng, rec, []benchTarget{{tenantID, wfID}}, name, queued, n, batch, stepsEach, timeout)
}

// benchTarget is a tenant's workflow that a phase starts executions of.
type benchTarget struct {
	tenantID, wfID uuid.UUID
}

// benchExecutionsOf is benchExecutions over several tenants' workflows:
// the start batches go to targets in turn.
func benchExecutionsOf(ctx context.Context, eng *engines, rec *benchRecorder, targets []benchTarget, name string, queued bool, n, batch, stepsEach int, timeout time.Duration) (Phase, error) {
	phase := Phase{Name: name, Executions: n}
	started := make(map[uuid.UUID]time.Time, n)
	begin := time.Now()
	var mu sync.Mutex
	err := inParallel(n, batch, func(from, size int) error {
		// Latency counts from the start call: an eager start may finish
		// executions before it returns.
		at := time.Now()
		t := targets[(from/batch)%len(targets)]
		execs, err := benchStart(ctx, eng, t.tenantID, t.wfID, size, queued)
		mu.Lock()
		defer mu.Unlock()
		for _, exec := range execs {
			started[exec.ID] = at
		}
		return err
	})
	if err != nil {
		return phase, err
	}
	phase.Started = time.Since(begin)
	return finishPhase(ctx, rec, phase, started, begin, stepsEach, timeout)
}

// benchStarters is the number of transactions that start executions at
// once in a saturated phase, as several API requests, schedules or events
// would (an eager start does its work in the start transaction).
const benchStarters = 4

// inParallel splits n into batches of up to batch and hands them to
// benchStarters goroutines: fn(from, size) for each. It returns the first
// error, after which no new batch begins.
func inParallel(n, batch int, fn func(from, size int) error) error {
	var (
		mu       sync.Mutex
		next     int
		firstErr error
		wg       sync.WaitGroup
	)
	for range benchStarters {
		wg.Go(func() {
			for {
				mu.Lock()
				if next >= n || firstErr != nil {
					mu.Unlock()
					return
				}
				from, size := next, min(batch, n-next)
				next += size
				mu.Unlock()
				if err := fn(from, size); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// finishPhase waits until every started execution has finished (or the
// timeout) and fills in the phase's throughput and latencies.
func finishPhase(ctx context.Context, rec *benchRecorder, phase Phase, started map[uuid.UUID]time.Time, begin time.Time, stepsEach int, timeout time.Duration) (Phase, error) {
	n := len(started)
	deadline := time.After(timeout)
	count := func() int {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		n := 0
		for id := range started {
			if _, ok := rec.finished[id]; ok {
				n++
			}
		}
		return n
	}
	// Poll the count only after the recorder has seen as many executions
	// finish as this phase started (the count walks every execution).
	for {
		rec.mu.Lock()
		total := len(rec.finished)
		rec.mu.Unlock()
		if total >= rec.before+n && count() == n {
			break
		}
		select {
		case <-rec.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			goto report
		case <-ctx.Done():
			return phase, ctx.Err()
		}
	}
report:
	var latencies []time.Duration
	var last time.Time
	rec.mu.Lock()
	for id, s := range started {
		if f, ok := rec.finished[id]; ok {
			latencies = append(latencies, max(0, f.Sub(s)))
			if f.After(last) {
				last = f
			}
		}
	}
	rec.before = len(rec.finished)
	rec.mu.Unlock()
	phase.Incomplete = n - len(latencies)
	if phase.Incomplete > 0 {
		last = time.Now()
	}
	phase.Elapsed = last.Sub(begin)
	done := len(latencies)
	phase.Steps = done * stepsEach
	if phase.Elapsed > 0 {
		phase.PerSecond = float64(done) / phase.Elapsed.Seconds()
		phase.StepsPerS = float64(phase.Steps) / phase.Elapsed.Seconds()
	}
	phase.P50, phase.P99 = percentiles(latencies)
	return phase, nil
}

func benchRiver(ctx context.Context, st store.Store, rec *benchRecorder, tenantID uuid.UUID, n, batch int, timeout time.Duration) (Phase, error) {
	phase := Phase{Name: "raw River no-op jobs", Executions: n}
	rec.noops.Store(0)
	rec.noopWant = int64(n)
	begin := time.Now()
	// Inserted by as many starters as the engine phases use.
	err := inParallel(n, batch, func(from, size int) error {
		params := make([]river.InsertManyParams, size)
		for i := range params {
			params[i] = river.InsertManyParams{Args: benchNoopArgs{Seq: from + i}}
		}
		if err := st.InTx(ctx, tenantID, func(tx store.Tx) error { return tx.JobInsertMany(ctx, params) }); err != nil {
			return fmt.Errorf("bench: insert no-op jobs: %w", err)
		}
		return nil
	})
	if err != nil {
		return phase, err
	}
	phase.Started = time.Since(begin)
	deadline := time.After(timeout)
	for {
		rec.mu.Lock()
		finished := rec.noopDone
		rec.mu.Unlock()
		if !finished.IsZero() {
			phase.Elapsed = finished.Sub(begin)
			break
		}
		select {
		case <-rec.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			phase.Incomplete = n - int(rec.noops.Load())
			phase.Elapsed = time.Since(begin)
			return phase, nil
		case <-ctx.Done():
			return phase, ctx.Err()
		}
	}
	phase.Steps = n
	if phase.Elapsed > 0 {
		phase.PerSecond = float64(n) / phase.Elapsed.Seconds()
		phase.StepsPerS = phase.PerSecond
	}
	return phase, nil
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return at(0.50), at(0.99)
}

// timerDef is a manual trigger, a delay of two seconds and an end.
const timerDef = `{"nodes": [{"id": "start", "type": "trigger.manual"}, {"id": "pause", "type": "delay", "config": {"duration": "2s"}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "pause"}, {"id": "e2", "source": "pause", "target": "done"}]}`

// engines are the bench's two engines: eager starts the default way and
// runs every job; queued starts executions that run all their nodes in
// advance jobs (Options.QueuedStart).
type engines struct {
	eager, queued *engine.Engine
}

// benchStart starts n manual executions of wfID in one transaction;
// queued ones run all their nodes in advance jobs.
func benchStart(ctx context.Context, engs *engines, tenantID, wfID uuid.UUID, n int, queued bool) ([]*domain.Execution, error) {
	eng := engs.eager
	if queued {
		eng = engs.queued
	}
	ps := make([]engine.StartParams, n)
	for i := range ps {
		ps[i] = engine.StartParams{TenantID: tenantID, WorkflowID: wfID, TriggerType: workflow.TypeTriggerManual}
	}
	var execs []*domain.Execution
	err := eng.Store().InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		execs, err = eng.StartManyTx(ctx, tx, ps)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: start executions: %w", err)
	}
	return execs, nil
}

// benchPaced starts n executions of wfID (queued, or the default way) at
// rate per second, in small batches every 10 ms, and measures their
// latency below saturation.
func benchPaced(ctx context.Context, eng *engines, rec *benchRecorder, tenantID, wfID uuid.UUID, queued bool, rate float64, n, stepsEach int, timeout time.Duration) (Phase, error) {
	return benchPacedOf(ctx, eng, rec, []benchTarget{{tenantID, wfID}}, queued, rate, n, stepsEach, timeout)
}

// benchPacedOf is benchPaced over several tenants' workflows: each
// batch goes to the next of targets.
func benchPacedOf(ctx context.Context, eng *engines, rec *benchRecorder, targets []benchTarget, queued bool, rate float64, n, stepsEach int, timeout time.Duration) (Phase, error) {
	name := fmt.Sprintf("eager, paced %.0f/s", rate)
	if queued {
		name = fmt.Sprintf("queued, paced %.0f/s", rate)
	}
	phase := Phase{Name: name, Executions: n}
	started := make(map[uuid.UUID]time.Time, n)
	begin := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for done, batches := 0, 0; done < n; {
		due := int(rate*time.Since(begin).Seconds()) + 1
		if size := min(due, n) - done; size > 0 {
			at := time.Now()
			t := targets[batches%len(targets)]
			batches++
			execs, err := benchStart(ctx, eng, t.tenantID, t.wfID, size, queued)
			if err != nil {
				return phase, err
			}
			for _, exec := range execs {
				started[exec.ID] = at
			}
			done += size
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return phase, ctx.Err()
		}
	}
	phase.Started = time.Since(begin)
	return finishPhase(ctx, rec, phase, started, begin, stepsEach, timeout)
}

// benchTimers starts n executions that wait two seconds on a delay, in ten
// batches a tenth of a second apart, so that their timers fall due within
// about a second, and measures how late each was picked up and how late
// its execution ended after its due time.
func benchTimers(ctx context.Context, eng *engines, rec *benchRecorder, tenantID, wfID uuid.UUID, n int, timeout time.Duration) (Phase, time.Duration, []time.Duration, error) {
	phase := Phase{Name: "1,000 timers", Executions: n}
	begin := time.Now()
	started := make(map[uuid.UUID]time.Time, n)
	var execs []*domain.Execution
	const batches = 10
	for i := range batches {
		size := n/batches + min(1, max(0, n%batches-i))
		if size == 0 {
			continue
		}
		at := time.Now()
		batch, err := benchStart(ctx, eng, tenantID, wfID, size, false)
		if err != nil {
			return phase, 0, nil, err
		}
		for _, exec := range batch {
			started[exec.ID] = at
		}
		execs = append(execs, batch...)
		if i < batches-1 {
			time.Sleep(time.Until(begin.Add(time.Duration(i+1) * time.Second / batches)))
		}
	}
	phase.Started = time.Since(begin)
	if _, err := finishPhase(ctx, rec, phase, started, begin, 3, timeout); err != nil {
		return phase, 0, nil, err
	}
	// Lateness: the wake-up (the delay step's output) and the end (as the
	// recorder saw it) minus the delay's due time (its step's input).
	var late, pickup []time.Duration
	var first, last time.Time
	for _, exec := range execs {
		var steps []domain.Step
		if err := eng.eager.Store().Read(ctx, tenantID, func(tx store.Tx) error {
			var err error
			steps, err = tx.StepListByExecution(ctx, tenantID, exec.ID)
			return err
		}); err != nil {
			return phase, 0, nil, fmt.Errorf("bench: read steps: %w", err)
		}
		rec.mu.Lock()
		end, ok := rec.finished[exec.ID]
		rec.mu.Unlock()
		for _, st := range steps {
			var in struct {
				Until time.Time `json:"until"`
			}
			var out struct {
				ResumedAt time.Time `json:"resumedAt"`
			}
			if st.NodeID != "pause" || json.Unmarshal(st.Input, &in) != nil || json.Unmarshal(st.Output, &out) != nil || !ok {
				continue
			}
			late = append(late, end.Sub(in.Until))
			pickup = append(pickup, out.ResumedAt.Sub(in.Until))
			if first.IsZero() || in.Until.Before(first) {
				first = in.Until
			}
			if in.Until.After(last) {
				last = in.Until
			}
		}
	}
	phase.Incomplete = n - len(late)
	phase.Elapsed = time.Since(begin)
	phase.P50, phase.P99 = percentiles(late)
	return phase, last.Sub(first), pickup, nil
}

// chainDef is a manual trigger, k set_attribute nodes counting vars.n, and
// an end.
func chainDef(k int) string {
	var nodes, edges []string
	nodes = append(nodes, `{"id": "start", "type": "trigger.manual"}`)
	prev := "start"
	for i := range k {
		id := fmt.Sprintf("n%d", i)
		nodes = append(nodes, fmt.Sprintf(`{"id": %q, "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(vars.n) ? vars.n + 1 : 1"}}}`, id))
		edges = append(edges, fmt.Sprintf(`{"id": "e%d", "source": %q, "target": %q}`, i, prev, id))
		prev = id
	}
	nodes = append(nodes, `{"id": "done", "type": "end"}`)
	edges = append(edges, fmt.Sprintf(`{"id": "eend", "source": %q, "target": "done"}`, prev))
	return fmt.Sprintf(`{"nodes": [%s], "edges": [%s]}`, strings.Join(nodes, ","), strings.Join(edges, ","))
}

// effectDef is a journey with one side effect: a manual trigger, an
// http.request to url, a pure node reading its output, and an end.
func effectDef(url string) string {
	return fmt.Sprintf(`{"nodes": [
	  {"id": "start", "type": "trigger.manual"},
	  {"id": "call", "type": "http.request", "config": {"method": "POST", "url": %q, "body": {"execution": "{{ execution.id }}"}}},
	  {"id": "tag", "type": "set_attribute", "config": {"target": "vars", "attributes": {"status": "steps.call.output.status"}}},
	  {"id": "done", "type": "end"}],
	 "edges": [{"id": "e1", "source": "start", "target": "call"}, {"id": "e2", "source": "call", "target": "tag"},
	  {"id": "e3", "source": "tag", "target": "done"}]}`, url+"/effect")
}

// effectSteps is the number of steps of an execution of effectDef.
const effectSteps = 4

// benchEffect measures executions of the side-effect workflow wfID:
// cfg.Executions started as fast as the starters go, then as many as
// three seconds take at half the rate reached.
func benchEffect(ctx context.Context, eng *engines, rec *benchRecorder, tenantID, wfID uuid.UUID, name string, cfg Config) (saturated, paced Phase, err error) {
	return benchEffectOf(ctx, eng, rec, []benchTarget{{tenantID, wfID}}, name, cfg)
}

// benchEffectOf is benchEffect over several tenants' workflows, whose
// executions are started in turn.
func benchEffectOf(ctx context.Context, eng *engines, rec *benchRecorder, targets []benchTarget, name string, cfg Config) (saturated, paced Phase, err error) {
	meter := cfg.Meter
	if meter == nil {
		meter = func(context.Context) benchmeter.Usage { return benchmeter.Usage{} }
	}
	stopProfile := func() {}
	if cfg.Profile != nil {
		stopProfile = cfg.Profile(name)
	}
	before, stats, calls := meter(ctx), eng.eager.GroupCommitStats(), eng.eager.CallStats()
	saturated, err = benchExecutionsOf(ctx, eng, rec, targets, name, false, cfg.Executions, cfg.StartBatch, effectSteps, cfg.Timeout)
	after := meter(ctx)
	stopProfile()
	if err != nil {
		return saturated, paced, err
	}
	saturated.Cost = costOf(before, after, saturated.Executions-saturated.Incomplete)
	saturated.Batches = statsSince(stats, eng.eager.GroupCommitStats())
	saturated.Calls = callsSince(calls, eng.eager.CallStats())
	if saturated.PerSecond <= 0 {
		return saturated, paced, nil
	}
	rate := max(10, saturated.PerSecond/2)
	n := max(1, min(cfg.Executions, int(rate*3)))
	before, stats, calls = meter(ctx), eng.eager.GroupCommitStats(), eng.eager.CallStats()
	if paced, err = benchPacedOf(ctx, eng, rec, targets, false, rate, n, effectSteps, cfg.Timeout); err != nil {
		return saturated, paced, err
	}
	paced.Cost = costOf(before, meter(ctx), paced.Executions-paced.Incomplete)
	paced.Batches = statsSince(stats, eng.eager.GroupCommitStats())
	paced.Calls = callsSince(calls, eng.eager.CallStats())
	paced.Name = fmt.Sprintf("%s, paced %.0f/s", name, rate)
	return saturated, paced, nil
}

// EffectResult is what RunEffect measured.
type EffectResult struct {
	Dialect string
	// Alone tells that each side effect's result had a transaction of its
	// own (engine.Options.EffectResultsAlone).
	Alone bool
	// Effect, EffectPaced, Tenants, TenantsPaced and the send phases are
	// as in Result.
	Effect, EffectPaced, Tenants, TenantsPaced Phase
	Email, EmailPaced, WhatsApp, WhatsAppPaced Phase
}

// String renders the result as a small table.
func (r *EffectResult) String() string {
	var b strings.Builder
	how := "in the advance group commit"
	if r.Alone {
		how = "each in a transaction of its own"
	}
	fmt.Fprintf(&b, "side-effect bench on %s, results recorded %s\n", r.Dialect, how)
	fmt.Fprintf(&b, "%-36s %8s %10s %10s %10s %10s\n", "phase", "n", "elapsed", "exec/s", "p50", "p99")
	for _, p := range []Phase{r.Effect, r.EffectPaced, r.Tenants, r.TenantsPaced, r.Email, r.EmailPaced, r.WhatsApp, r.WhatsAppPaced} {
		if p.Executions == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-36s %8d %10s %10.0f %10s %10s", p.Name, p.Executions, p.Elapsed.Round(time.Millisecond),
			p.PerSecond, p.P50.Round(100*time.Microsecond), p.P99.Round(100*time.Microsecond))
		if p.Incomplete > 0 {
			fmt.Fprintf(&b, "  (%d incomplete)", p.Incomplete)
		}
		b.WriteByte('\n')
	}
	writeCosts(&b, r.Effect, r.EffectPaced, r.Tenants, r.TenantsPaced, r.Email, r.EmailPaced, r.WhatsApp, r.WhatsAppPaced)
	writeSendRatios(&b, r.Effect, r.Email, r.WhatsApp)
	return b.String()
}

// writeCosts prints the cost per execution of the phases that measured
// it, and what their group commit did.
func writeCosts(b *strings.Builder, phases ...Phase) {
	for _, p := range phases {
		if p.Executions == 0 || p.Cost == (Cost{}) {
			continue
		}
		fmt.Fprintf(b, "  %-36s %s\n", p.Name, p.Cost)
		if s := p.Batches; s.Shared+s.Alone > 0 {
			fmt.Fprintf(b, "  %-36s group commit: %d advances, %d results, %d attempts apart; %d shared transactions, %d alone (%d single, %d duplicate, %d failed)\n",
				"", s.Advances, s.Results, s.Attempts, s.Shared, s.Alone, s.Single, s.Duplicate, s.Failed)
		}
		if c := p.Calls; c != (engine.CallStats{}) {
			fmt.Fprintf(b, "  %-36s called after start: %d (no job), %d not called, %d handed to jobs\n",
				"", c.Called, c.Dropped, c.Handed)
		}
	}
}

// callsSince is what the dispatcher did between a and b.
func callsSince(a, b engine.CallStats) engine.CallStats {
	return engine.CallStats{Called: b.Called - a.Called, Dropped: b.Dropped - a.Dropped, Handed: b.Handed - a.Handed}
}

// statsSince is what the group commit did between a and b.
func statsSince(a, b engine.GroupCommitStats) engine.GroupCommitStats {
	return engine.GroupCommitStats{Advances: b.Advances - a.Advances, Results: b.Results - a.Results,
		Attempts: b.Attempts - a.Attempts, Shared: b.Shared - a.Shared, Alone: b.Alone - a.Alone,
		Single: b.Single - a.Single, Duplicate: b.Duplicate - a.Duplicate, Failed: b.Failed - a.Failed}
}

// writeSendRatios prints the send phases' throughput against the plain
// side effect's, measured in the same run.
func writeSendRatios(b *strings.Builder, effect, mail, chat Phase) {
	if effect.PerSecond <= 0 || mail.Executions == 0 {
		return
	}
	fmt.Fprintf(b, "sends / http.request side effect: email %.2f, WhatsApp %.2f (%.0f and %.0f sends/s vs %.0f exec/s)\n",
		mail.PerSecond/effect.PerSecond, chat.PerSecond/effect.PerSecond, mail.PerSecond, chat.PerSecond, effect.PerSecond)
}

// RunEffect measures the journey with one side effect alone on st, with
// cfg.Engine (set EffectResultsAlone there to measure results recorded
// one by one): cfg.Executions started at once, then a paced run at half
// the rate reached. It creates its own tenant and workflow.
func RunEffect(ctx context.Context, st store.Store, cfg Config) (*EffectResult, error) {
	if cfg.Workers == nil {
		return nil, errors.New("bench: Config.Workers is required")
	}
	if cfg.Executions <= 0 {
		cfg.Executions = 2000
	}
	if cfg.StartBatch <= 0 {
		cfg.StartBatch = 500
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer sink.Close()
	rec := newBenchRecorder()
	opts := cfg.Engine
	opts.Publisher = rec
	opts.HTTP.Allow = append(slices.Clone(opts.HTTP.Allow), "127.0.0.1")
	sinks, err := startSendSinks(st, opts.Logger)
	if err != nil {
		return nil, err
	}
	defer sinks.Close()
	opts.SideEffects = append(slices.Clone(opts.SideEffects), sinks.effects...)
	eng := engine.New(st, opts)
	defer eng.Close()
	eng.RegisterWorkers(cfg.Workers)
	tenantID, err := benchfixture.Tenant(ctx, st, domain.PlanFree)
	if err != nil {
		return nil, err
	}
	wfID, err := benchfixture.Publish(ctx, st, tenantID, "bench effect", effectDef(sink.URL))
	if err != nil {
		return nil, err
	}
	if err := st.Queue().Start(ctx); err != nil {
		return nil, fmt.Errorf("bench: start queue: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = st.Queue().Stop(stopCtx)
	}()
	res := &EffectResult{Dialect: st.Dialect(), Alone: opts.EffectResultsAlone}
	engs := &engines{eager: eng, queued: eng}
	if res.Effect, res.EffectPaced, err = benchEffect(ctx, engs, rec, tenantID, wfID, "one side effect", cfg); err != nil {
		return res, err
	}
	if res.Tenants, res.TenantsPaced, err = benchEffectTenants(ctx, engs, rec, st, effectDef(sink.URL), cfg); err != nil {
		return res, err
	}
	res.Email, res.EmailPaced, res.WhatsApp, res.WhatsAppPaced, err = benchSends(ctx, engs, rec, sinks, st, tenantID, cfg)
	return res, err
}
