package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// Bounds of the side effects one advance job performs in a row.
const (
	inlineEffects    = 8
	inlineEffectTime = 15 * time.Second
	// inlineEffectMargin is the job time that must remain to start another
	// call in the same job.
	inlineEffectMargin = 30 * time.Second
)

// The execution lock (Options.Locker) in front of the database lock.
const (
	// execLockTTL bounds how long a lock left by a process that died
	// delays its execution (no longer than the job lease, so the takeover
	// of a dead node's work waits for the lease alone); a transaction
	// outliving it is still fenced by the database lock.
	execLockTTL = 10 * time.Second
	// execLockSnooze is the least time an advance job that found the lock
	// taken waits before it runs again; up to as much again is added at
	// random so that waiting jobs do not come back together.
	execLockSnooze = 100 * time.Millisecond
)

// advance is the body of the advance job.
func (e *Engine) advance(ctx context.Context, args AdvanceArgs) error {
	// Another worker is in this execution: come back shortly rather than
	// wait on its row lock holding a connection.
	unlock, ok, _ := e.locks.Acquire(ctx, args.ExecutionID, execLockTTL)
	if !ok {
		return river.JobSnooze(execLockSnooze + rand.N(execLockSnooze))
	}
	var res advanceResult
	if e.batch != nil {
		res = e.batch.submit(ctx, args)
	} else {
		res = e.advanceAlone(ctx, args)
	}
	pe, events, err := res.effect, res.events, res.err
	_ = unlock(ctx)
	if err != nil {
		return jobError(ctx, fmt.Errorf("advance execution %s: %w", args.ExecutionID, err))
	}
	e.publish(ctx, events)
	began := time.Now()
	for n := 1; pe != nil; n++ {
		// Past a few calls or some time, the next side effect goes to a new
		// job, so one job stays well within River's job timeout.
		handOff := n >= inlineEffects || time.Since(began) > inlineEffectTime
		if e.draining.Load() {
			handOff = true // the process is stopping: no call after this one
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < inlineEffectMargin {
			handOff = true // too little of the job's time left for another call
		}
		if pe, err = e.perform(ctx, pe, handOff); err != nil {
			return jobError(ctx, fmt.Errorf("advance execution %s: %w", args.ExecutionID, err))
		}
	}
	return nil
}

// perform makes a side effect's call (unless its outbox entry already holds
// the result), records the outcome, and moves the execution on. It returns
// the next side effect the execution reached, if any. A call held by its
// EffectAdmitter returns a River snooze error (no attempt counted).
//
// With handOff, a side effect reached next is left recorded for a new
// advance job instead of being returned.
func (e *Engine) perform(ctx context.Context, pe *pendingEffect, handOff bool) (*pendingEffect, error) {
	out := &effectOutcome{output: pe.output, calls: pe.attempts}
	if pe.release != nil {
		// The slot readyCall took: given back once the outcome is
		// recorded (or its recording given up), or now if no call is made.
		defer pe.release()
	}
	if !pe.done {
		if err := ctx.Err(); err != nil {
			// Cancelled before the call: hand the job back, no call made
			// (an attempt counted with the pending effect stays counted).
			return nil, fmt.Errorf("before the call of %s: %w", pe.req.IdempotencyKey, err)
		}
		if pe.hold > 0 {
			// Held by the limit when the transaction asked: come back then.
			return nil, river.JobSnooze(pe.hold)
		}
		if pe.fx == nil {
			out.err = Permanent(fmt.Errorf("no side effect registered for node type of %s", pe.req.NodeID))
		} else if pe.counted {
			// Admitted, its slot taken and its attempt counted in the
			// transaction that left it pending (readyCall): call now.
			e.call(ctx, pe, out)
		} else {
			if wait, err := e.admit(ctx, pe); err != nil || wait > 0 {
				if err != nil {
					return nil, err
				}
				return nil, river.JobSnooze(wait)
			}
			// At most Options.MaxUncommittedCalls calls of this process are
			// between their count and the commit of their outcome; the slot
			// is given back when perform returns, the outcome recorded or
			// its recording given up.
			release, err := e.callSlot(ctx)
			if err != nil {
				return nil, fmt.Errorf("before the call of %s: %w", pe.req.IdempotencyKey, err)
			}
			defer release()
			// Counted before the call, in a commit of its own: a call made
			// and then lost still shows (see recordAttempt).
			calls, err := e.recordAttempt(ctx, pe)
			if err != nil {
				return nil, err
			}
			out.calls = calls
			e.call(ctx, pe, out)
		}
		out.up = &store.OutboxUpdateParams{
			TenantID: pe.req.TenantID, ID: pe.outboxID, Status: domain.OutboxDone,
			Attempts: out.calls, Response: out.output,
		}
		if out.err != nil {
			_, errOut := classify(out.err)
			out.output = errOut
			out.up.Status, out.up.Response, out.up.Error = domain.OutboxFailed, errOut, out.err.Error()
		}
	}
	next, events, err := e.recordResult(ctx, pe, out, handOff)
	if err != nil {
		if out.up != nil {
			// The result transaction failed after the call: keep the
			// outcome on its own, so that whatever happens next a call that
			// succeeded is not made again; the job runs again and records
			// the rest from the outbox.
			if rerr := e.recordOutcome(ctx, out.up); rerr != nil {
				return nil, fmt.Errorf("record result of %s: %w (and its outcome alone: %w)", pe.req.IdempotencyKey, err, rerr)
			}
		}
		return nil, fmt.Errorf("record result of %s: %w", pe.req.IdempotencyKey, err)
	}
	e.publish(ctx, events)
	return next, nil
}

// call makes pe's call, its attempt counted, into out.
func (e *Engine) call(ctx context.Context, pe *pendingEffect, out *effectOutcome) {
	if e.batch != nil {
		e.batch.calling.Add(1)
		defer e.batch.calling.Add(-1)
	}
	callCtx, cancel := callContext(ctx)
	defer cancel()
	callCtx, span := tracing.StartStep(callCtx, tracing.Step{WorkflowID: pe.workflowID, ExecutionID: pe.req.ExecutionID,
		NodeID: pe.req.NodeID, NodeType: pe.fx.Kind(), Attempt: pe.req.Attempt})
	out.output, out.err = pe.fx.Perform(callCtx, pe.req)
	tracing.EndStep(span, out.err)
}

// tryCallSlot takes a free slot among the calls whose outcome is not
// committed, without waiting, and returns its release; false when none is
// free.
func (e *Engine) tryCallSlot() (func(), bool) {
	if e.calls == nil {
		return func() {}, true
	}
	select {
	case e.calls <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-e.calls }) }, true
	default:
		return nil, false
	}
}

// callSlot waits for a free slot among the calls whose outcome is not
// committed (Options.MaxUncommittedCalls) and returns its release. A ctx
// that ends first (the job cancelled, the process stopping) takes no slot
// and no call is made.
func (e *Engine) callSlot(ctx context.Context) (func(), error) {
	if e.calls == nil {
		return func() {}, nil
	}
	select {
	case e.calls <- struct{}{}:
		return func() { <-e.calls }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// effectOutcome is what a side effect's call left to record.
type effectOutcome struct {
	output json.RawMessage
	err    error
	// calls is the number of calls counted under the key.
	calls int
	// up is the outbox write of a call just made; nil when the outbox
	// already held the outcome.
	up *store.OutboxUpdateParams
}

// effectResult is a side effect's outcome waiting to be recorded: the
// pending effect, what its call left, and whether a side effect reached
// next goes to a new job.
type effectResult struct {
	pe      *pendingEffect
	out     *effectOutcome
	handOff bool
}

// admit asks pe's EffectAdmitter, if any, whether the call may be made now.
func (e *Engine) admit(ctx context.Context, pe *pendingEffect) (time.Duration, error) {
	adm, ok := pe.fx.(EffectAdmitter)
	if !ok {
		return 0, nil
	}
	wait, err := adm.Admit(ctx, pe.req)
	if err != nil {
		return 0, fmt.Errorf("admit the call of %s: %w", pe.req.IdempotencyKey, err)
	}
	return wait, nil
}

// recordResult records a call's outcome and runs the execution on: in the
// advance group commit with other executions' work (batch.go), or in a
// transaction of its own. It returns the next side effect reached and the
// events to publish. A call made is recorded even when the job's context
// has just ended.
func (e *Engine) recordResult(ctx context.Context, pe *pendingEffect, out *effectOutcome, handOff bool) (*pendingEffect, []live.Event, error) {
	if out.up != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), recordTry)
		defer cancel()
	}
	// The outcome must be recorded: if another worker holds the execution
	// lock, go on and wait on the row lock.
	unlock, _, _ := e.locks.Acquire(ctx, pe.req.ExecutionID, execLockTTL)
	defer func() { _ = unlock(ctx) }()
	er := &effectResult{pe: pe, out: out, handOff: handOff}
	var res advanceResult
	if e.batch != nil && !e.effectResultsAlone {
		res = e.batch.submitResult(ctx, er)
	} else {
		res = e.recordResultAlone(ctx, er)
	}
	return res.effect, res.events, res.err
}

// recordResultAlone records er in a transaction of its own: the outbox
// entry, the side effect's own rows (EffectRecorder), the step, and the
// execution run on to its next wait or side effect.
func (e *Engine) recordResultAlone(ctx context.Context, er *effectResult) advanceResult {
	var res advanceResult
	var ready []*pendingEffect
	err := e.store.InTx(ctx, er.pe.req.TenantID, func(tx store.Tx) error {
		res = advanceResult{}
		giveBack(ready)
		ready = nil
		exec, err := tx.ExecutionLock(ctx, er.pe.req.TenantID, er.pe.req.ExecutionID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil // deleted with its workflow, outbox entry and all
			}
			return fmt.Errorf("lock execution %s: %w", er.pe.req.ExecutionID, err)
		}
		r, err := e.resultRun(ctx, tx, exec, er, false, nil)
		if err != nil || r == nil {
			return err
		}
		if err := r.save(ctx); err != nil {
			return err
		}
		res = advanceResult{effect: r.effect, events: r.events}
		if e.readyCall(ctx, r.effect) {
			ready = append(ready, r.effect)
		}
		return countReady(ctx, tx, er.pe.req.TenantID, ready, nil)
	})
	if err != nil {
		giveBack(ready)
		return advanceResult{err: err}
	}
	return res
}

// resultRun records er's outcome on locked exec inside tx and runs the
// execution on; it returns the run, whose steps and state the caller
// writes (with batched, also its step outcomes and jobs, and the outbox
// outcome, which the caller has written with the batch's others before),
// or nil when the execution had moved on meanwhile.
//
// rec, when not nil, gathers the successes an EffectBatchRecorder writes
// together at the end of the caller's transaction.
func (e *Engine) resultRun(ctx context.Context, tx store.Tx, exec *domain.Execution, er *effectResult, batched bool, rec *effectRecords) (*run, error) {
	pe, out := er.pe, er.out
	if out.up != nil && !batched {
		if err := tx.OutboxUpdate(ctx, out.up); err != nil {
			return nil, fmt.Errorf("record outcome: %w", err)
		}
	}
	if e.afterPerform != nil {
		if err := e.afterPerform(pe.req.StepID); err != nil {
			return nil, err
		}
	}
	res := EffectResult{
		TenantID: pe.req.TenantID, ExecutionID: pe.req.ExecutionID, StepID: pe.req.StepID, NodeID: pe.req.NodeID,
		IdempotencyKey: pe.req.IdempotencyKey, Attempt: pe.req.Attempt, Calls: out.calls,
		Request: pe.req.Request, Value: pe.req.Value, Output: out.output, Err: out.err,
	}
	if pe.fx != nil {
		res.Kind = pe.fx.Kind()
	}
	if exec.Status.Terminal() || exec.Token != pe.token {
		// Cancelled or moved on meanwhile: a call just made still has its
		// outcome kept.
		if out.up != nil {
			return nil, recordEffect(ctx, tx, pe, res)
		}
		return nil, nil
	}
	r, err := e.newRun(ctx, tx, exec)
	if err != nil {
		return nil, err
	}
	r.batched = batched
	r.effectToJob = er.handOff
	open := r.c.Engine.Open
	if r.finished || open == nil || open.ID != pe.req.StepID {
		if out.up != nil {
			return nil, recordEffect(ctx, tx, pe, res)
		}
		return nil, nil
	}
	n := r.g.nodes[open.NodeID]
	if n == nil {
		return nil, nil
	}
	goOn := false
	if out.err == nil {
		val, err := toJSONValue(out.output)
		if err != nil {
			val = string(out.output)
		}
		r.c.setOutput(n.ID, val)
		if err := rec.record(ctx, tx, pe, res); err != nil {
			return nil, err
		}
		handle := outHandle(pe, out.output)
		if err := r.updateStep(ctx, open, domain.StepCompleted, out.output, handle, ""); err != nil {
			return nil, err
		}
		r.c.Engine.Open = nil
		r.moveTo(r.g.target(n.ID, handle))
		goOn = true
	} else {
		retryable, errOut := classify(out.err)
		maxAttempts, backoff := retryPolicy(n)
		if retryable && open.Attempt < maxAttempts {
			res.Retry, res.RetryAt = true, r.now.Add(backoffFor(backoff, open.Attempt))
			if err := recordEffect(ctx, tx, pe, res); err != nil {
				return nil, err
			}
			if err := r.updateStep(ctx, open, domain.StepRunning, errOut, "", out.err.Error()); err != nil {
				return nil, err
			}
			open.Attempt++
			r.exec.Token++
			if err := r.enqueue(ctx, res.RetryAt); err != nil {
				return nil, err
			}
		} else {
			if err := recordEffect(ctx, tx, pe, res); err != nil {
				return nil, err
			}
			if errOut != nil {
				if v, err := toJSONValue(errOut); err == nil {
					r.c.setOutput(n.ID, v)
				}
			}
			msg := out.err.Error()
			if open.Attempt > 1 {
				msg = fmt.Sprintf("%s (after %d attempts)", msg, open.Attempt)
			}
			var err error
			if goOn, err = r.nodeFailed(ctx, n, open, msg, errOut); err != nil {
				return nil, err
			}
		}
	}
	if goOn {
		if err := r.loop(ctx); err != nil {
			return nil, err
		}
	}
	if r.preparing != nil {
		return r, nil // the caller prepares its side effect, then settles
	}
	if err := r.settleEffect(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// settleEffect leaves the side effect the run reached, if any, to a new
// advance job when the run was asked to (effectToJob).
func (r *run) settleEffect(ctx context.Context) error {
	if r.effect == nil || !r.effectToJob {
		return nil
	}
	r.effect = nil
	r.exec.Token++
	return r.enqueue(ctx, time.Time{})
}

// recordEffect hands res to pe's EffectRecorder, if any.
func recordEffect(ctx context.Context, tx store.Tx, pe *pendingEffect, res EffectResult) error {
	rec, ok := pe.fx.(EffectRecorder)
	if !ok {
		return nil
	}
	if err := rec.RecordResult(ctx, tx, res); err != nil {
		return fmt.Errorf("record the result of %s (%s): %w", res.IdempotencyKey, res.Kind, err)
	}
	return nil
}

// publish hands events to the publisher; failures are logged, not fatal.
func (e *Engine) publish(ctx context.Context, events []live.Event) {
	if len(events) == 0 {
		return
	}
	if err := e.pub.Publish(ctx, events...); err != nil {
		e.log.WarnContext(ctx, "publish live events", "error", err)
	}
}
