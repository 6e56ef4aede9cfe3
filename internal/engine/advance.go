package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/live"
	"github.com/nextflow-dev/nextflow/internal/store"
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
// the next side effect the execution reached, if any.
//
// With handOff, a side effect reached next is left recorded for a new
// advance job instead of being returned.
func (e *Engine) perform(ctx context.Context, pe *pendingEffect, handOff bool) (*pendingEffect, error) {
	output, perr := pe.output, error(nil)
	if !pe.done {
		if err := ctx.Err(); err != nil {
			// Cancelled before the call: hand the job back, no call made.
			return nil, fmt.Errorf("before the call of %s: %w", pe.req.IdempotencyKey, err)
		}
		attempts := pe.attempts
		if pe.fx == nil {
			perr = Permanent(fmt.Errorf("no side effect registered for node type of %s", pe.req.NodeID))
		} else {
			// Counted before the call, in a commit of its own: a call made
			// and then lost still shows (see recordAttempt).
			var err error
			if attempts, err = e.recordAttempt(ctx, pe); err != nil {
				return nil, err
			}
			callCtx, cancel := callContext(ctx)
			output, perr = pe.fx.Perform(callCtx, pe.req)
			cancel()
		}
		// Record the outcome at once, on its own: whatever happens next, a
		// call that succeeded is not made again.
		up := &store.OutboxUpdateParams{
			TenantID: pe.req.TenantID, ID: pe.outboxID, Status: domain.OutboxDone,
			Attempts: attempts, Response: output,
		}
		if perr != nil {
			_, errOut := classify(perr)
			up.Status, up.Response, up.Error = domain.OutboxFailed, errOut, perr.Error()
		}
		// Recorded even when the job's context has just ended: a call that
		// was made should not be made again for want of this commit.
		if err := e.recordOutcome(ctx, up); err != nil {
			return nil, fmt.Errorf("record outcome of %s: %w", pe.req.IdempotencyKey, err)
		}
	}
	if e.afterPerform != nil {
		if err := e.afterPerform(pe.req.StepID); err != nil {
			return nil, err
		}
	}

	// The outcome must be recorded: if another worker holds the execution
	// lock, go on and wait on the row lock.
	unlock, _, _ := e.locks.Acquire(ctx, pe.req.ExecutionID, execLockTTL)
	var next *pendingEffect
	var events []live.Event
	err := e.store.InTx(ctx, pe.req.TenantID, func(tx store.Tx) error {
		next, events = nil, nil
		exec, err := tx.ExecutionLock(ctx, pe.req.TenantID, pe.req.ExecutionID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("lock execution %s: %w", pe.req.ExecutionID, err)
		}
		if exec.Status.Terminal() || exec.Token != pe.token {
			return nil // cancelled or moved on meanwhile
		}
		r, err := e.newRun(ctx, tx, exec)
		if err != nil {
			return err
		}
		open := r.c.Engine.Open
		if r.finished || open == nil || open.ID != pe.req.StepID {
			return nil
		}
		n := r.g.nodes[open.NodeID]
		if n == nil {
			return nil
		}
		goOn := false
		if perr == nil {
			val, err := toJSONValue(output)
			if err != nil {
				val = string(output)
			}
			r.c.setOutput(n.ID, val)
			if err := r.updateStep(ctx, open, domain.StepCompleted, output, "", ""); err != nil {
				return err
			}
			r.c.Engine.Open = nil
			r.moveTo(r.g.target(n.ID, ""))
			goOn = true
		} else {
			retryable, errOut := classify(perr)
			maxAttempts, backoff := retryPolicy(n)
			if retryable && open.Attempt < maxAttempts {
				if err := r.updateStep(ctx, open, domain.StepRunning, errOut, "", perr.Error()); err != nil {
					return err
				}
				wait := backoffFor(backoff, open.Attempt)
				open.Attempt++
				r.exec.Token++
				if err := enqueue(ctx, tx, r.exec, r.now.Add(wait)); err != nil {
					return err
				}
			} else {
				if errOut != nil {
					if v, err := toJSONValue(errOut); err == nil {
						r.c.setOutput(n.ID, v)
					}
				}
				msg := perr.Error()
				if open.Attempt > 1 {
					msg = fmt.Sprintf("%s (after %d attempts)", msg, open.Attempt)
				}
				if goOn, err = r.nodeFailed(ctx, n, open, msg, errOut); err != nil {
					return err
				}
			}
		}
		if goOn {
			if err := r.loop(ctx); err != nil {
				return err
			}
		}
		if r.effect != nil && handOff {
			r.effect = nil
			r.exec.Token++
			if err := enqueue(ctx, tx, r.exec, time.Time{}); err != nil {
				return err
			}
		}
		if err := r.save(ctx); err != nil {
			return err
		}
		next, events = r.effect, r.events
		return nil
	})
	_ = unlock(ctx)
	if err != nil {
		return nil, fmt.Errorf("record result of %s: %w", pe.req.IdempotencyKey, err)
	}
	e.publish(ctx, events)
	return next, nil
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
