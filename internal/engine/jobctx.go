package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Job contexts and a stopping process.
//
// A process that stops (SIGTERM) first lets running jobs finish; only near
// its shutdown deadline does it cancel them. A cancelled advance job must
// never leave a call made and its result unrecorded, or the call would be
// made again: so a side effect's call runs under callContext (the job's
// deadline, not its cancellation), its result is recorded under a context
// of its own, and a job cancelled before a call hands its execution back
// (jobError) without calling.

// Drain tells the engine that the process is stopping: an advance job
// finishes the call it is making but leaves the next side effect to a new
// job (which another node, or this one after a restart, works) instead of
// calling it inline.
func (e *Engine) Drain() { e.draining.Store(true) }

// callContext is the context a side effect's call runs under: it keeps
// the job's deadline (River's job timeout still bounds the call) but not
// its cancellation, so that stopping the process never cuts a call between
// the provider and the record of its result.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	detached := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(detached, deadline)
	}
	return context.WithCancel(detached)
}

// jobError is what an advance job returns for err. When the job was
// cancelled (the process is stopping), its execution is handed back at
// once, without counting an attempt: River makes the job available again
// for any node. A job past its timeout keeps the error, and River's retry
// policy.
func jobError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return river.JobSnooze(0)
	}
	return err
}

// Recording a call's outcome: each try has recordTry; while the database
// is unavailable (store.ErrUnavailable: a restart, a failover) tries go on
// for recordFor, so that a call made just before an outage is not made
// again for want of its record.
const (
	recordTry = 10 * time.Second
	recordFor = 30 * time.Second
)

// recordOutcome commits a side effect's outcome under a context detached
// from the job's cancellation, retrying while the database is unavailable.
func (e *Engine) recordOutcome(ctx context.Context, up *store.OutboxUpdateParams) error {
	detached := context.WithoutCancel(ctx)
	giveUp := time.Now().Add(recordFor)
	wait := 100 * time.Millisecond
	for {
		tryCtx, cancel := context.WithTimeout(detached, recordTry)
		err := e.store.InTx(tryCtx, up.TenantID, func(tx store.Tx) error { return tx.OutboxUpdate(tryCtx, up) })
		cancel()
		if err == nil || !errors.Is(err, store.ErrUnavailable) || time.Now().Add(wait).After(giveUp) {
			if err != nil {
				return fmt.Errorf("record outcome: %w", err)
			}
			return nil
		}
		e.log.WarnContext(ctx, "database unavailable: recording a call's outcome again shortly", "key", up.ID, "err", err)
		time.Sleep(wait)
		wait = min(2*wait, 2*time.Second)
	}
}
