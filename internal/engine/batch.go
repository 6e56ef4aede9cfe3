package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Group commit of advance transactions.
//
// River runs many advance jobs at once (MaxWorkers). Each used to open its
// own transaction: lock the execution, run its pure nodes, write its steps
// and state, commit. On PostgreSQL that is five round trips and a WAL flush
// per execution, and the database's CPU is the limit long before River's.
// The batcher lets the jobs that are running at the same moment share one
// transaction per tenant: their executions are locked together (in ID
// order), each is advanced exactly as on its own, and their steps and
// states are written with one statement each. Every job still waits for
// the commit that holds its execution's new state before it returns, so
// River completes a job only after its work is durable, and a batch that
// fails rolls back as a whole and is retried one execution at a time, so
// one bad execution cannot hold the others back.
//
// Side effects' outcomes go through the same batches (submitResult): after
// its call, a job hands the outcome to a runner, which records it (the
// outbox entry, EffectRecorder's rows, the step) and runs the execution on
// to its next wait or side effect beside the other requests of the batch.
// The attempt was counted before the call, in the transaction that left
// the call pending (readyCall, countReady: with the outbox entry's insert
// when it is new) or else in a commit of its own; a result that fails
// even on its own is kept in the outbox alone (perform), so a call whose
// entry is DONE is never made again.

// Defaults of the group commit.
const (
	// DefaultAdvanceBatch is the largest number of executions one
	// group-commit transaction advances.
	DefaultAdvanceBatch = 64
	// DefaultAdvanceBatchers is the number of group-commit transactions
	// that may run at once, each for a tenant of its own (tenantQueue:
	// a tenant's requests wait for its transaction under way and form
	// its next one). Two, so that one tenant's transaction does not hold
	// the others' back; --advance-batchers of bench engine compares.
	DefaultAdvanceBatchers = 2
)

// resultLinger is how long a runner holding a lone request (the only one
// of its tenant) waits for company while calls are under way: their
// outcomes come next, and one shared transaction for two costs less than
// two transactions.
var resultLinger = time.Millisecond

// advanceResult is what an advance transaction leaves for its job to do
// after the commit: a side effect to perform and events to publish (or,
// for an attempt counted in the batch, the count).
type advanceResult struct {
	effect   *pendingEffect
	events   []live.Event
	attempts int
	err      error
}

// advanceRequest is one advance job waiting for its batch, or (result set)
// a side effect's outcome to record for the execution args names, or
// (attempt set) the attempt of a call to count, answered on its own
// channel.
type advanceRequest struct {
	ctx     context.Context
	args    AdvanceArgs
	result  *effectResult
	attempt *attemptRequest
	done    chan advanceResult
}

// batcher collects advance requests and runs them in shared transactions,
// one tenant's at a time (through a tenantQueue).
type batcher struct {
	e *Engine
	q *tenantQueue[uuid.UUID, *advanceRequest]
	// Counts for GroupCommitStats.
	advances, results, attempts, shared atomic.Int64
	single, duplicate, failed           atomic.Int64
	// calling is the number of calls under way (Perform), whose outcomes
	// will come to the batcher.
	calling atomic.Int64
}

// GroupCommitStats counts what the advance group commit has done since
// the engine began (nextflow bench engine prints them per phase).
type GroupCommitStats struct {
	// Advances, Results and Attempts are the requests taken: advance
	// jobs, side-effect outcomes, and attempts counted apart from their
	// pending effect (no call slot was free in its transaction).
	Advances, Results, Attempts int64
	// Shared is the number of shared transactions run (committed or not);
	// Alone the number of requests run in a transaction of their own.
	Shared, Alone int64
	// Why the Alone requests ran alone: Single, the only request of its
	// tenant in its batch; Duplicate, a second request for an execution
	// (or an attempt of an outbox entry) already in the batch; Failed,
	// a request of a shared transaction that failed.
	Single, Duplicate, Failed int64
}

// GroupCommitStats returns the advance group commit's counts; zero
// without a batcher.
func (e *Engine) GroupCommitStats() GroupCommitStats {
	b := e.batch
	if b == nil {
		return GroupCommitStats{}
	}
	s := GroupCommitStats{Advances: b.advances.Load(), Results: b.results.Load(), Attempts: b.attempts.Load(),
		Shared: b.shared.Load(), Single: b.single.Load(), Duplicate: b.duplicate.Load(), Failed: b.failed.Load()}
	s.Alone = s.Single + s.Duplicate + s.Failed
	return s
}

// countAlone notes the requests of a batch run alone, by reason.
func (b *batcher) countAlone(single, duplicate, failed int) {
	if b == nil {
		return
	}
	b.single.Add(int64(single))
	b.duplicate.Add(int64(duplicate))
	b.failed.Add(int64(failed))
}

// count notes a batch's requests.
func (b *batcher) count(batch []*advanceRequest) {
	for _, r := range batch {
		switch {
		case r.attempt != nil:
			b.attempts.Add(1)
		case r.result != nil:
			b.results.Add(1)
		default:
			b.advances.Add(1)
		}
	}
}

// newBatcher starts runners goroutines that each take up to max waiting
// requests at a time.
func newBatcher(e *Engine, max, runners int) *batcher {
	b := &batcher{e: e}
	tenantOf := func(r *advanceRequest) uuid.UUID { return r.args.TenantID }
	b.q = newTenantQueue(max, runners, tenantOf, resultLinger, b.lonely, func(batch []*advanceRequest) {
		b.count(batch)
		e.advanceBatch(batch)
	})
	return b
}

// lonely tells whether a tenant's batch is worth waiting for more
// requests: its one request would run alone, and calls are under way
// whose outcomes may keep it company.
func (b *batcher) lonely(batch []*advanceRequest) bool {
	return len(batch) == 1 && b.calling.Load() > 0
}

// close stops the runners once the requests submitted are done; requests
// submitted after it run on their own.
func (b *batcher) close() { b.q.close() }

// submit hands a request to a runner and waits for its outcome. When the
// batcher is stopped it advances the execution on its own.
func (b *batcher) submit(ctx context.Context, args AdvanceArgs) advanceResult {
	req := &advanceRequest{ctx: ctx, args: args, done: make(chan advanceResult, 1)}
	if !b.q.offer(req) {
		return b.e.advanceAlone(ctx, args)
	}
	// The runner always answers: the job waits for the commit that holds
	// its work, even past its own context, so that it never reports a
	// failure for work that committed.
	return <-req.done
}

// submitResult hands a side effect's outcome to a runner and waits for the
// commit that records it. When the batcher is stopped it is recorded on
// its own.
func (b *batcher) submitResult(ctx context.Context, er *effectResult) advanceResult {
	req := &advanceRequest{
		ctx: ctx, result: er, done: make(chan advanceResult, 1),
		args: AdvanceArgs{TenantID: er.pe.req.TenantID, ExecutionID: er.pe.req.ExecutionID, Token: er.pe.token},
	}
	if !b.q.offer(req) {
		return b.e.recordResultAlone(ctx, er)
	}
	return <-req.done
}

// submitAttempt hands the count of a call's attempt to a runner, to be
// made in its next transaction; the count is answered on req.done. It
// returns false when the batcher is stopped (the caller counts it on its
// own).
func (b *batcher) submitAttempt(ctx context.Context, req *attemptRequest) bool {
	return b.q.offer(&advanceRequest{ctx: ctx, attempt: req, args: AdvanceArgs{TenantID: req.tenantID}})
}

// advanceBatch advances a batch: one transaction per tenant (row-level
// security scopes a transaction to one tenant), each execution once, with
// the attempts to count of the tenant's calls. A request for an execution
// (or an attempt of an outbox entry) already in the batch, and every
// request of a transaction that failed, is done on its own afterwards.
func (e *Engine) advanceBatch(batch []*advanceRequest) {
	byTenant := map[uuid.UUID][]*advanceRequest{}
	var tenants []uuid.UUID
	var alone []*advanceRequest
	var single, duplicate, failed int
	seen := map[uuid.UUID]bool{}
	for _, r := range batch {
		id := r.args.ExecutionID
		if r.attempt != nil {
			id = r.attempt.outboxID
		}
		if seen[id] {
			alone = append(alone, r)
			duplicate++
			continue
		}
		seen[id] = true
		if _, ok := byTenant[r.args.TenantID]; !ok {
			tenants = append(tenants, r.args.TenantID)
		}
		byTenant[r.args.TenantID] = append(byTenant[r.args.TenantID], r)
	}
	for _, tenantID := range tenants {
		reqs := byTenant[tenantID]
		if len(reqs) == 1 {
			alone = append(alone, reqs[0])
			single++
			continue
		}
		if e.batch != nil {
			e.batch.shared.Add(1)
		}
		results, err := e.advanceTenantBatch(tenantID, reqs)
		if err != nil {
			e.log.Warn("group-commit advance failed; advancing its executions one by one",
				"tenant", tenantID, "executions", len(reqs), "error", err)
			alone = append(alone, reqs...)
			failed += len(reqs)
			continue
		}
		e.batchCommits.Add(1)
		for i, r := range reqs {
			if r.attempt != nil {
				r.attempt.done <- attemptResult{n: results[i].attempts}
				continue
			}
			r.done <- results[i]
		}
	}
	e.batch.countAlone(single, duplicate, failed)
	for _, r := range alone {
		if r.attempt != nil {
			n, err := e.recordAttemptAlone(r.attempt.ctx, r.attempt.tenantID, r.attempt.outboxID, r.attempt.key)
			r.attempt.done <- attemptResult{n: n, err: err}
			continue
		}
		if r.result != nil {
			r.done <- e.recordResultAlone(r.ctx, r.result)
			continue
		}
		r.done <- e.advanceAlone(r.ctx, r.args)
	}
}

// batchTxTimeout bounds one group-commit transaction.
const batchTxTimeout = 30 * time.Second

// advanceTenantBatch advances reqs (one tenant, distinct executions) in one
// transaction and returns their results in order.
func (e *Engine) advanceTenantBatch(tenantID uuid.UUID, reqs []*advanceRequest) ([]advanceResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTxTimeout)
	defer cancel()
	var ids, attempts []uuid.UUID
	var attemptAt []int
	for i, r := range reqs {
		if r.attempt != nil {
			attempts, attemptAt = append(attempts, r.attempt.outboxID), append(attemptAt, i)
			continue
		}
		ids = append(ids, r.args.ExecutionID)
	}
	var results []advanceResult
	var ready []*pendingEffect
	err := e.store.InTx(ctx, tenantID, func(tx store.Tx) error {
		results = make([]advanceResult, len(reqs))
		giveBack(ready)
		ready = nil
		// The attempts first: their calls wait for this commit alone.
		if len(attempts) > 0 {
			counts, err := tx.OutboxAttemptMany(ctx, tenantID, attempts)
			if err != nil {
				return fmt.Errorf("record %d attempts: %w", len(attempts), err)
			}
			for j, i := range attemptAt {
				results[i].attempts = counts[j]
			}
		}
		if len(ids) == 0 {
			return nil
		}
		locked, err := tx.ExecutionLockMany(ctx, tenantID, ids)
		if err != nil {
			return fmt.Errorf("lock %d executions: %w", len(ids), err)
		}
		execs := make(map[uuid.UUID]*domain.Execution, len(locked))
		for _, exec := range locked {
			execs[exec.ID] = exec
		}
		// The outcomes of calls just made go in one statement, before the
		// runs that follow them (resultRun leaves them to its batched
		// caller).
		var outcomes []*store.OutboxUpdateParams
		for _, r := range reqs {
			if r.result != nil && r.result.out.up != nil && execs[r.args.ExecutionID] != nil {
				outcomes = append(outcomes, r.result.out.up)
			}
		}
		if err := tx.OutboxUpdateMany(ctx, outcomes); err != nil {
			return fmt.Errorf("record %d outcomes: %w", len(outcomes), err)
		}
		var w runWrites
		var rec effectRecords
		var updates []*store.ExecutionUpdateParams
		runs := make([]*run, len(reqs))
		for i, r := range reqs {
			if r.attempt != nil {
				continue
			}
			exec := execs[r.args.ExecutionID]
			var rn *run
			if r.result != nil {
				if exec == nil {
					continue // deleted with its workflow, outbox entry and all
				}
				if rn, err = e.resultRun(ctx, tx, exec, r.result, true, &rec); err != nil {
					return err
				}
				if rn == nil {
					continue // cancelled or moved on meanwhile
				}
			} else {
				if exec == nil || exec.Status.Terminal() || exec.Token != r.args.Token {
					continue // deleted with its workflow, or a duplicate or late job
				}
				if rn, err = e.advanceLocked(ctx, tx, exec, true); err != nil {
					return err
				}
			}
			runs[i] = rn
		}
		// The runs that stopped at a side effect preparing in batches go
		// on once it has prepared their steps together.
		if err := e.prepareRuns(ctx, tx, runs); err != nil {
			return err
		}
		for i, rn := range runs {
			if rn == nil {
				continue
			}
			// The transaction runs under no job's span: each run's jobs
			// carry the trace of the job it ran for.
			tracing.KeepTrace(reqs[i].ctx, rn.jobs)
			w.add(rn)
			up, err := rn.finish()
			if err != nil {
				return err
			}
			updates = append(updates, up)
			results[i] = advanceResult{effect: rn.effect, events: rn.events}
			if e.readyCall(ctx, rn.effect) {
				ready = append(ready, rn.effect)
			}
		}
		if err := rec.write(ctx, tx); err != nil {
			return err
		}
		if err := w.writeSteps(ctx, tx); err != nil {
			return err
		}
		// The calls about to be made count their attempts here, with
		// their outbox entries: their jobs call once this commits.
		if err := countReady(ctx, tx, tenantID, ready, w.outbox); err != nil {
			return err
		}
		if err := w.writeOutbox(ctx, tx); err != nil {
			return err
		}
		if err := tx.ExecutionUpdateMany(ctx, updates); err != nil {
			return fmt.Errorf("update %d executions: %w", len(updates), err)
		}
		return w.writeJobs(ctx, tx)
	})
	if err != nil {
		giveBack(ready)
		return nil, err
	}
	return results, nil
}

// prepareRuns prepares, one PrepareMany per side effect, the steps of the
// runs that stopped at a side effect that prepares in batches, and runs
// each on from there (which may reach another such side effect: then
// again, until none is left).
func (e *Engine) prepareRuns(ctx context.Context, tx store.Tx, runs []*run) error {
	for {
		var order []EffectBatchPreparer
		byEffect := map[EffectBatchPreparer][]*run{}
		for _, rn := range runs {
			if rn == nil || rn.preparing == nil {
				continue
			}
			bp := e.effects[rn.preparing.Type].(EffectBatchPreparer)
			if _, ok := byEffect[bp]; !ok {
				order = append(order, bp)
			}
			byEffect[bp] = append(byEffect[bp], rn)
		}
		if len(order) == 0 {
			return nil
		}
		for _, bp := range order {
			rs := byEffect[bp]
			items := make([]*PrepareItem, len(rs))
			for i, rn := range rs {
				items[i] = &PrepareItem{Ctx: e.tmpl.WithBudget(ctx), In: rn.prepareInput(rn.preparing)}
			}
			if err := bp.PrepareMany(ctx, tx, items); err != nil {
				return fmt.Errorf("prepare %d %s steps: %w", len(items), bp.Kind(), err)
			}
			for i, rn := range rs {
				n := rn.preparing
				rn.preparing = nil
				if err := rn.prepared(ctx, n, items[i].Request, items[i].Value, items[i].Err); err != nil {
					return err
				}
				if rn.preparing == nil {
					if err := rn.settleEffect(ctx); err != nil {
						return err
					}
				}
			}
		}
	}
}

// runWrites gathers what batched runs leave for their caller to write
// together: new steps, step outcomes, outbox entries and advance jobs.
type runWrites struct {
	steps       []*store.StepInsertParams
	stepUpdates []*store.StepUpdateParams
	outbox      []*store.OutboxInsertParams
	jobs        []river.InsertManyParams
}

// add takes r's pending writes.
func (w *runWrites) add(r *run) {
	w.steps = append(w.steps, r.steps...)
	w.stepUpdates = append(w.stepUpdates, r.stepUpdates...)
	w.outbox = append(w.outbox, r.outbox...)
	w.jobs = append(w.jobs, r.jobs...)
	r.steps, r.stepUpdates, r.outbox, r.jobs = nil, nil, nil, nil
}

// writeOutbox inserts the outbox entries, after the steps they refer to.
func (w *runWrites) writeOutbox(ctx context.Context, tx store.Tx) error {
	if len(w.outbox) == 0 {
		return nil
	}
	if err := tx.OutboxInsertMany(ctx, w.outbox); err != nil {
		return fmt.Errorf("record %d outbox entries: %w", len(w.outbox), err)
	}
	return nil
}

// writeSteps inserts the new steps, then records the step outcomes, and
// forgets both. Steps refer to their executions: write them after new
// executions' rows.
func (w *runWrites) writeSteps(ctx context.Context, tx store.Tx) error {
	if len(w.steps) > 0 {
		if err := tx.StepInsertMany(ctx, w.steps); err != nil {
			return fmt.Errorf("record %d steps: %w", len(w.steps), err)
		}
	}
	if len(w.stepUpdates) > 0 {
		if err := tx.StepUpdateMany(ctx, w.stepUpdates); err != nil {
			return fmt.Errorf("record the outcome of %d steps: %w", len(w.stepUpdates), err)
		}
	}
	w.steps, w.stepUpdates = w.steps[:0], w.stepUpdates[:0]
	return nil
}

// writeJobs inserts the advance jobs.
func (w *runWrites) writeJobs(ctx context.Context, tx store.Tx) error {
	if len(w.jobs) == 0 {
		return nil
	}
	if err := tx.JobInsertMany(ctx, w.jobs); err != nil {
		return fmt.Errorf("enqueue %d advance jobs: %w", len(w.jobs), err)
	}
	return nil
}

// advanceAlone advances one execution in its own transaction.
func (e *Engine) advanceAlone(ctx context.Context, args AdvanceArgs) advanceResult {
	var res advanceResult
	var ready []*pendingEffect
	err := e.store.InTx(ctx, args.TenantID, func(tx store.Tx) error {
		res = advanceResult{}
		giveBack(ready)
		ready = nil
		exec, err := tx.ExecutionLock(ctx, args.TenantID, args.ExecutionID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted with its workflow
			}
			return fmt.Errorf("lock execution %s: %w", args.ExecutionID, err)
		}
		if exec.Status.Terminal() || exec.Token != args.Token {
			return nil // a duplicate or late job
		}
		r, err := e.advanceLocked(ctx, tx, exec, false)
		if err != nil {
			return err
		}
		if err := r.save(ctx); err != nil {
			return err
		}
		res = advanceResult{effect: r.effect, events: r.events}
		if e.readyCall(ctx, r.effect) {
			ready = append(ready, r.effect)
		}
		return countReady(ctx, tx, args.TenantID, ready, nil)
	})
	if err != nil {
		giveBack(ready)
		return advanceResult{err: err}
	}
	return res
}

// advanceLocked runs a locked execution from where it is until it
// finishes, parks or reaches a side effect, leaving its steps and state
// (and, when batched, its step outcomes and the advance jobs it enqueues)
// to be written by the caller.
func (e *Engine) advanceLocked(ctx context.Context, tx store.Tx, exec *domain.Execution, batched bool) (*run, error) {
	r, err := e.newRun(ctx, tx, exec)
	if err != nil {
		return nil, err
	}
	r.batched = batched
	if r.finished {
		return r, nil
	}
	r.begin()
	goOn, err := r.resumeOpen(ctx)
	if err != nil {
		return nil, err
	}
	if goOn {
		if err := r.loop(ctx); err != nil {
			return nil, err
		}
	}
	return r, nil
}
