package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StopHardSlice bounds the last part of a stop deadline, in which running
// jobs are cancelled rather than awaited (see StopQueue).
const StopHardSlice = 5 * time.Second

// StopQueue stops a River client within ctx's deadline: soft waits for
// running jobs and hard cancels them and waits for them to return. The soft
// stop (fetching ends at once, running jobs go on) lasts until the deadline
// less a quarter of the time left (at most StopHardSlice); then running jobs
// are cancelled and awaited until the deadline itself, so StopQueue returns
// by the deadline even when a job ignores its context. Without a deadline
// the soft stop lasts until ctx ends, and the hard stop gets StopHardSlice.
func StopQueue(ctx context.Context, soft, hard func(context.Context) error) error {
	hardCtx := ctx
	softCtx, cancel := context.WithCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		slice := min(StopHardSlice, time.Until(deadline)/4)
		softCtx, cancel = context.WithDeadline(ctx, deadline.Add(-slice))
	}
	defer cancel()
	err := soft(softCtx)
	if err == nil {
		return nil
	}
	if softCtx.Err() == nil {
		return fmt.Errorf("stop queue: %w", err)
	}
	if ctx.Err() != nil {
		// ctx itself ended (no deadline, or cancelled): cancel the jobs
		// and give them a short while.
		var c context.CancelFunc
		hardCtx, c = context.WithTimeout(context.WithoutCancel(ctx), StopHardSlice)
		defer c()
	}
	if hardErr := hard(hardCtx); hardErr != nil {
		return fmt.Errorf("stop queue: jobs still running at the deadline: %w", errors.Join(err, hardErr))
	}
	return nil
}
