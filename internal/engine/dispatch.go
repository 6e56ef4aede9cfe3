package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Calls made by the process that started their execution.
//
// An eager start (StartManyTx) that reaches a side effect prepares it in
// the start transaction, as the first advance job would have: the step
// RUNNING, the outbox entry, the side effect's own rows (a message
// queued). With Options.CallAfterStart the entry is inserted with its
// first attempt counted, the execution's row is given a recovery time
// (WakeAt, callWindows.recovery ahead: 3.5 minutes) and no River job: once the start commits,
// this process's dispatcher makes the call and records its outcome
// through the advance group commit, as an advance job would (perform),
// which moves the execution on and clears the recovery time.
//
// The dispatcher holds at most Options.CallQueue calls waiting; a start
// that finds it full, a call its EffectAdmitter holds, a start with an
// idempotency key and any start once the process drains take the job
// path instead (the step prepared in the start and a job inserted with it
// that calls, counting its attempt in its own transaction).
//
// Crash recovery: the live process never starts a call later than
// callStartWindow after the start, cuts it callMaxDuration later (the
// call's context deadline), and records its outcome within
// callRecordWindow; the recovery time covers the three and a margin for
// clocks (callWindows.recovery). With Options.NodeID the row also names
// this process (CallNode) and the process keeps a heartbeat (node.go): a
// process that dies is found dead by another node once its heartbeat is
// older than the lease expiry (10 s), which moves its rows' recovery time
// to now, so RunWakeups turns them into advance jobs at once rather than
// minutes later; without a node ID the job runs at the recovery time
// (RunWakeups takes a call's recovery time off its row only once due, not
// a timer horizon ahead, so a node that dies during a slow call is
// recovered as fast). The job finds the entry PENDING with its attempt
// counted, counts another and calls, as a retry does (the at-least-once
// window of doc.go). A call made and not recorded (at most
// MaxUncommittedCalls per process, from the slot taken before the call to
// the outcome's commit) is made again; a call that was still waiting is
// made once.
//
// A live process is never recovered while its heartbeat is renewed,
// however slow its calls. One whose heartbeat lapsed (paused, or cut off
// from the database past the expiry) makes none of its recovered calls:
// the recovery moved their executions' token on, so check drops them,
// and call starts none unless the heartbeat is fresh (renewed within half
// an expiry, before anyone could judge the process dead); a call under
// way when the heartbeat lapsed is made again by the recovery, as a job
// whose lease expired is.

// Bounds of the calls the starting process makes (see above).
const (
	// callStartWindow: no call starts later than this after its
	// execution's start; a call still waiting then is left to recovery.
	callStartWindow = 30 * time.Second
	// callMaxDuration bounds one call (its context's deadline).
	callMaxDuration = 60 * time.Second
	// callRecordWindow bounds the recording of a call's outcome (the
	// group commit's transaction, one on its own, and the outcome alone
	// through a database outage: recordResult, recordOutcome).
	callRecordWindow = 90 * time.Second
	// DefaultCallQueue is Options.CallQueue's default.
	DefaultCallQueue = 16384
	// dispatchBatch bounds the calls the dispatcher checks at once.
	dispatchBatch = 64
	// callAfterStartSpan names the span of a call the starting process
	// makes, child of the span that started the execution (as an advance
	// job's span, "nextflow.advance", would be).
	callAfterStartSpan = "nextflow.call_after_start"
)

// callWindows are the bounds above, as one engine uses them (tests
// shrink them).
type callWindows struct {
	start, call, record, margin time.Duration
}

// defaultCallWindows are the bounds of a process.
var defaultCallWindows = callWindows{start: callStartWindow, call: callMaxDuration, record: callRecordWindow, margin: 30 * time.Second}

// recovery is how far ahead of the start the recovery time is set.
func (w callWindows) recovery() time.Duration { return w.start + w.call + w.record + w.margin }

// dispatchItem is a call waiting in the dispatcher: its pending effect
// (attempt counted) and the recovery time its execution carries.
type dispatchItem struct {
	pe     *pendingEffect
	wakeAt time.Time
	// trace is the span of the request or job that started the
	// execution: the call continues its trace.
	trace tracing.Parent
}

// startBy is the last moment the dispatcher may start its call, and
// cutAt the moment the call is cut.
func (w callWindows) startBy(it *dispatchItem) time.Time {
	return it.wakeAt.Add(-w.recovery() + w.start)
}
func (w callWindows) cutAt(it *dispatchItem) time.Time {
	return it.wakeAt.Add(-w.recovery() + w.start + w.call)
}

// dispatcher makes the calls of executions this process started.
type dispatcher struct {
	e   *Engine
	cap int
	mu  sync.Mutex
	// queue holds the calls waiting; wake is signalled when one is added.
	queue []*dispatchItem
	wake  chan struct{}
	// stopped: no call starts any more; new items are handed to jobs.
	stopped bool
	stop    chan struct{}
	// size counts the calls waiting (read without the lock by starts).
	size atomic.Int64
	// inflight counts calls taken from the queue and not yet recorded.
	inflight sync.WaitGroup
	feeder   sync.WaitGroup
	// Counts for CallStats.
	called, dropped, handed atomic.Int64
}

// newDispatcher starts a dispatcher of at most capacity waiting calls.
func newDispatcher(e *Engine, capacity int) *dispatcher {
	d := &dispatcher{e: e, cap: capacity, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	d.feeder.Add(1)
	go d.run()
	return d
}

// CallStats counts what the dispatcher of calls made after their start
// did: calls made, calls not made (the execution cancelled or moved on
// while waiting, or the start window passed: left to recovery), and
// calls handed to jobs when the process stopped.
type CallStats struct {
	Called, Dropped, Handed int64
}

// CallStats returns the dispatcher's counts; zero without one.
func (e *Engine) CallStats() CallStats {
	d := e.dispatch
	if d == nil {
		return CallStats{}
	}
	return CallStats{Called: d.called.Load(), Dropped: d.dropped.Load(), Handed: d.handed.Load()}
}

// CallQueue is the most calls the dispatcher holds waiting
// (Options.CallQueue, or its default); zero without one.
func (e *Engine) CallQueue() int {
	if e.dispatch == nil {
		return 0
	}
	return e.dispatch.cap
}

// room reports whether taken more calls fit in the queue.
func (d *dispatcher) room(taken int) bool {
	return int(d.size.Load())+taken < d.cap
}

// push adds the calls of a committed start. After stop they are handed to
// jobs at once.
func (d *dispatcher) push(ctx context.Context, items []*dispatchItem) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		d.handOff(ctx, items)
		return
	}
	d.queue = append(d.queue, items...)
	d.size.Add(int64(len(items)))
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// take removes up to n waiting calls; none when the queue is empty.
func (d *dispatcher) take(n int) []*dispatchItem {
	d.mu.Lock()
	defer d.mu.Unlock()
	n = min(n, len(d.queue))
	if n == 0 || d.stopped {
		return nil
	}
	items := make([]*dispatchItem, n)
	copy(items, d.queue)
	d.queue = d.queue[n:]
	if len(d.queue) == 0 {
		d.queue = nil
	}
	d.size.Add(-int64(n))
	return items
}

// takeLate removes the waiting calls whose start window has passed.
func (d *dispatcher) takeLate() []*dispatchItem {
	now := d.e.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 || d.stopped || !now.After(d.e.callWindows.startBy(d.queue[0])) {
		return nil // the oldest is in time (calls are queued in start order)
	}
	var late, kept []*dispatchItem
	for _, it := range d.queue {
		if now.After(d.e.callWindows.startBy(it)) {
			late = append(late, it)
		} else {
			kept = append(kept, it)
		}
	}
	d.queue = kept
	d.size.Add(-int64(len(late)))
	return late
}

// requeue returns a call taken and not started to the head of the queue,
// or hands it to a job once the dispatcher has stopped.
func (d *dispatcher) requeue(ctx context.Context, it *dispatchItem) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		d.handOff(ctx, []*dispatchItem{it})
		return
	}
	d.queue = append([]*dispatchItem{it}, d.queue...)
	d.size.Add(1)
	d.mu.Unlock()
}

// putBack returns calls taken and not started to the head of the queue.
func (d *dispatcher) putBack(items []*dispatchItem) {
	if len(items) == 0 {
		return
	}
	d.mu.Lock()
	d.queue = append(items, d.queue...)
	d.size.Add(int64(len(items)))
	d.mu.Unlock()
}

// run is the feeder: it takes the waiting calls with a call slot each
// (waiting for the first), checks their executions, and starts each call
// in a goroutine of its own.
func (d *dispatcher) run() {
	defer d.feeder.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-d.stop
		cancel()
	}()
	for {
		d.handLate(ctx, d.takeLate())
		if n := d.e.node; n != nil && !n.fresh() {
			// Not renewed lately: another node may be about to take this
			// one for dead, so no call starts (node.go); the calls wait,
			// or go to jobs past their start window.
			select {
			case <-n.renewals:
				continue
			case <-time.After(n.interval): // calls past their start window go to jobs
				continue
			case <-d.stop:
				return
			}
		}
		items := d.take(1)
		if len(items) == 0 {
			select {
			case <-d.wake:
				continue
			case <-d.stop:
				return
			}
		}
		first, err := d.e.callSlot(ctx)
		if err != nil {
			d.putBack(items)
			return // stopping: the waiting calls are handed to jobs
		}
		// More calls while slots are free: the slot first, then the call,
		// so that a call finding none stays where it is (putting it back
		// at the head copied the whole queue, up to CallQueue entries,
		// each time the slots ran out).
		releases := []func(){first}
		for len(items) < dispatchBatch && d.size.Load() > 0 {
			release, ok := d.e.tryCallSlot()
			if !ok {
				break
			}
			more := d.take(1)
			if len(more) == 0 {
				release()
				break
			}
			items, releases = append(items, more[0]), append(releases, release)
		}
		d.start(ctx, items, releases)
	}
}

// start checks items against their executions (one read per tenant) and
// starts the calls of those still waiting for them, each with its slot;
// the others give their slot back and make no call.
func (d *dispatcher) start(ctx context.Context, items []*dispatchItem, releases []func()) {
	live := d.check(ctx, items)
	now := d.e.now()
	var late []*dispatchItem
	for i, it := range items {
		if !live[i] || now.After(d.e.callWindows.startBy(it)) {
			releases[i]()
			if live[i] {
				late = append(late, it)
				continue
			}
			d.dropped.Add(1)
			continue
		}
		it.pe.release = releases[i]
		d.inflight.Add(1)
		go d.call(it)
	}
	d.handLate(ctx, late)
}

// handLate hands calls past their start window while waiting (the process
// is overloaded, or its calls slow) to jobs, which call them now rather
// than recovery in minutes.
func (d *dispatcher) handLate(ctx context.Context, late []*dispatchItem) {
	if len(late) == 0 {
		return
	}
	d.e.log.Warn("calls waited past their start window; handed to jobs", "calls", len(late))
	d.handOff(ctx, late)
}

// check reports, for each item, whether its execution is still where its
// start left it (same token, not finished): a cancel, or a recovery job
// that took over, makes the call unnecessary. An execution that cannot be
// read (the database unavailable) is left to recovery.
func (d *dispatcher) check(ctx context.Context, items []*dispatchItem) []bool {
	live := make([]bool, len(items))
	tenants, byTenant := groupByTenant(items)
	for _, tenantID := range tenants {
		at := byTenant[tenantID]
		ids := make([]uuid.UUID, len(at))
		for j, i := range at {
			ids[j] = items[i].pe.req.ExecutionID
		}
		var states []store.ExecutionState
		readCtx, cancel := context.WithTimeout(ctx, recordTry)
		err := d.e.store.Read(readCtx, tenantID, func(tx store.Tx) error {
			var err error
			states, err = tx.ExecutionStates(readCtx, tenantID, ids)
			return err
		})
		cancel()
		if err != nil {
			d.e.log.Warn("calls waiting after their start not checked; left to recovery", "tenant", tenantID,
				"calls", len(at), "error", err)
			continue
		}
		byID := make(map[uuid.UUID]store.ExecutionState, len(states))
		for _, s := range states {
			byID[s.ID] = s
		}
		for _, i := range at {
			pe := items[i].pe
			s, ok := byID[pe.req.ExecutionID]
			live[i] = ok && !s.Status.Terminal() && s.Token == pe.token
		}
	}
	return live
}

// groupByTenant returns the tenants of items in the order first seen,
// and the indexes in items of each tenant's calls.
func groupByTenant(items []*dispatchItem) ([]uuid.UUID, map[uuid.UUID][]int) {
	byTenant := map[uuid.UUID][]int{}
	var tenants []uuid.UUID
	for i, it := range items {
		t := it.pe.req.TenantID
		if _, ok := byTenant[t]; !ok {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], i)
	}
	return tenants, byTenant
}

// call makes its call and records its outcome (perform), under a
// deadline that keeps both within the execution's recovery time.
func (d *dispatcher) call(it *dispatchItem) {
	defer d.inflight.Done()
	d.called.Add(1)
	// The call's context: cut callMaxDuration after the start window at
	// the latest, whatever the process does meanwhile (a stopping process
	// lets it finish).
	cut := d.e.callWindows.cutAt(it)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(cut.Sub(d.e.now())))
	defer cancel()
	ctx, end := it.trace.Continue(ctx, callAfterStartSpan, it.pe.req.TenantID, it.pe.req.ExecutionID)
	defer end()
	if d.e.beforeCall != nil && !d.e.beforeCall(it.pe.req) {
		it.pe.release() // the test's process died before the call
		return
	}
	if n := d.e.node; n != nil && !n.fresh() {
		// The heartbeat went stale since the feeder took the call: it
		// waits again (its execution may be recovered meanwhile, which
		// the feeder's check then finds).
		it.pe.release()
		it.pe.release = nil
		d.called.Add(-1)
		d.requeue(ctx, it)
		return
	}
	if _, err := d.e.perform(ctx, it.pe, true); err != nil {
		var snoozed *river.JobSnoozeError
		if !errors.As(err, &snoozed) {
			d.e.log.Warn("call after start not recorded; its execution is recovered at its recovery time",
				"execution", it.pe.req.ExecutionID, "key", it.pe.req.IdempotencyKey, "recovery", it.wakeAt, "error", err)
		}
	}
}

// stopCalls stops the dispatcher: no call starts any more, the calls still
// waiting are handed to advance jobs (handOff), and the calls under way
// are waited for (they finish and record their outcome) until ctx ends.
func (d *dispatcher) stopCalls(ctx context.Context) error {
	d.mu.Lock()
	already := d.stopped
	d.stopped = true
	d.mu.Unlock()
	if !already {
		close(d.stop)
	}
	d.feeder.Wait()
	d.mu.Lock()
	items := d.queue
	d.queue = nil
	d.size.Store(0)
	d.mu.Unlock()
	d.handOff(ctx, items)
	done := make(chan struct{})
	go func() {
		d.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
		if d.e.node != nil {
			d.e.node.halt(ctx, true) // nothing of this node's left to recover
		}
		return nil
	case <-ctx.Done():
		if d.e.node != nil {
			d.e.node.halt(ctx, false) // lapses: other nodes recover the calls under way
		}
		return fmt.Errorf("calls after start still under way: %w", ctx.Err())
	}
}

// handOff gives waiting calls to advance jobs, one transaction per
// tenant: each execution still at its start's token and recovery time
// has the time cleared and a job inserted that calls (counting another
// attempt), so a deploy neither repeats them nor leaves them to the
// recovery time. One that fails stays for recovery.
func (d *dispatcher) handOff(ctx context.Context, items []*dispatchItem) {
	if len(items) == 0 {
		return
	}
	tenants, byTenant := groupByTenant(items)
	for _, tenantID := range tenants {
		all := make([]*dispatchItem, len(byTenant[tenantID]))
		for j, i := range byTenant[tenantID] {
			all[j] = items[i]
		}
		for len(all) > 0 {
			its := all[:min(len(all), handOffBatch)]
			all = all[len(its):]
			d.handOffTenant(ctx, tenantID, its)
		}
	}
}

// handOffBatch bounds the executions one hand-off transaction takes.
const handOffBatch = 500

// handOffTenant hands its (one tenant's) to advance jobs in one
// transaction (see handOff).
func (d *dispatcher) handOffTenant(ctx context.Context, tenantID uuid.UUID, its []*dispatchItem) {
	n := 0
	txCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), batchTxTimeout)
	err := d.e.store.InTx(txCtx, tenantID, func(tx store.Tx) error {
		n = 0
		want := make(map[uuid.UUID]int64, len(its))
		ids := make([]uuid.UUID, len(its))
		for i, it := range its {
			ids[i], want[it.pe.req.ExecutionID] = it.pe.req.ExecutionID, it.pe.token
		}
		locked, err := tx.ExecutionLockMany(txCtx, tenantID, ids)
		if err != nil {
			return fmt.Errorf("lock %d executions: %w", len(ids), err)
		}
		var ups []*store.ExecutionUpdateParams
		var jobs []river.InsertManyParams
		for _, exec := range locked {
			if exec.Status.Terminal() || exec.Token != want[exec.ID] || exec.WakeAt == nil {
				continue // cancelled, moved on, or its recovery claimed
			}
			ups = append(ups, &store.ExecutionUpdateParams{TenantID: exec.TenantID, ID: exec.ID, Status: exec.Status,
				Context: exec.Context, CurrentNodeID: exec.CurrentNodeID, Token: exec.Token, StepCount: exec.StepCount,
				Error: exec.Error, StartedAt: exec.StartedAt, FinishedAt: exec.FinishedAt})
			jobs = append(jobs, advanceJob(advanceArgs(exec), time.Time{}))
		}
		if len(ups) == 0 {
			return nil
		}
		if err := tx.ExecutionUpdateMany(txCtx, ups); err != nil {
			return fmt.Errorf("clear the recovery time of %d executions: %w", len(ups), err)
		}
		n = len(jobs)
		return tx.JobInsertMany(txCtx, jobs)
	})
	cancel()
	if err != nil {
		d.e.log.Warn("waiting calls not handed to jobs; their executions are recovered at their recovery time",
			"tenant", tenantID, "calls", len(its), "error", err)
		return
	}
	d.handed.Add(int64(n))
	d.dropped.Add(int64(len(its) - n))
}

// StopCalls stops the calls this process makes after their executions'
// start (Options.CallAfterStart): call it when the process stops, after
// Drain. Calls still waiting are handed to advance jobs in one
// transaction per tenant (any node works them at once); calls under way
// finish and record their outcome, waited for until ctx ends.
func (e *Engine) StopCalls(ctx context.Context) error {
	if e.dispatch == nil {
		return nil
	}
	return e.dispatch.stopCalls(ctx)
}

// startCalls is what one start transaction gives the dispatcher: the
// calls it readied, pushed once it commits.
type startCalls struct {
	items []*dispatchItem
	// reserved counts the runs of the transaction preparing a side effect
	// for the dispatcher and not yet decided, so a large start leaves
	// room for them.
	reserved int
}

// mayCallAfterStart reports whether the eager run r, reaching side effect
// n, may prepare it in the start transaction for the dispatcher: the
// dispatcher runs and has room, the process is not draining, and the
// start has no idempotency key (a duplicate start would drop the run, not
// the rows its side effect wrote).
func (r *run) mayCallAfterStart() bool {
	d := r.e.dispatch
	if d == nil || r.calls == nil || r.e.draining.Load() || r.exec.IdempotencyKey != "" {
		return false
	}
	if n := r.e.node; n != nil && !n.fresh() {
		return false // the heartbeat is stale (node.go): a job calls
	}
	return d.room(len(r.calls.items) + r.calls.reserved)
}

// readyAfterStart decides who calls the side effect the eager run r
// prepared (r.effect): the dispatcher, when the EffectAdmitter lets it
// through and there is room (the outbox entry is then inserted with its
// attempt counted and the row gets its recovery time), or else an advance
// job inserted with the start (handOff), which counts the attempt in its
// own transaction.
func (r *run) readyAfterStart(ctx context.Context) {
	pe := r.effect
	if pe == nil || pe.done || pe.fx == nil {
		return
	}
	r.calls.reserved = max(0, r.calls.reserved-1)
	ok := r.mayCallAfterStart()
	if ok {
		if adm, isAdm := pe.fx.(EffectAdmitter); isAdm {
			wait, err := adm.Admit(ctx, pe.req)
			ok = err == nil && wait <= 0
		}
	}
	if !ok {
		r.handOff = true
		return
	}
	for _, p := range r.outbox {
		if p.ID == pe.outboxID {
			p.Counted = true
		}
	}
	pe.attempts, pe.counted = 1, true
	wakeAt := r.now.Add(r.e.callWindows.recovery())
	r.exec.WakeAt = &wakeAt
	if r.e.node != nil {
		r.callNode = r.e.node.id
	}
	r.calls.items = append(r.calls.items, &dispatchItem{pe: pe, wakeAt: wakeAt, trace: r.trace})
}

// pushAfterCommit hands the calls of a start transaction to the
// dispatcher once it commits (none when it does not).
func (e *Engine) pushAfterCommit(tx store.Tx, sc *startCalls) {
	if sc == nil || len(sc.items) == 0 {
		return
	}
	items := sc.items
	tx.AfterCommit(func(ctx context.Context) { e.dispatch.push(ctx, items) })
}
