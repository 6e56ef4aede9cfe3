package engine

import (
	"context"
	"errors"

	"github.com/riverqueue/river"
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
