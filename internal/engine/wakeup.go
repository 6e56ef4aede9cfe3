package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Timers far off live on their execution's row.
//
// A delay or wait timeout due within Options.TimerHorizon becomes a River
// job scheduled at its time, as before. One due later is kept as the
// execution's WakeAt: a million executions waiting on a 30-day delay then
// cost their rows and an entry in a small partial index, not a million job
// rows (each with its indexes) in River's table, which stays the size of
// the work at hand. RunWakeups, on every worker node, moves timers that
// come within the horizon into jobs scheduled at their exact time, so they
// fire as precisely as the others. Claiming a timer clears it in the same
// transaction that inserts its job (rows another node is claiming are
// skipped), so each timer becomes one job; the job carries the token the
// execution had, and any change of state since (an event, a cancel) both
// clears the timer and makes such a job stale.

// wakeupBatch bounds the timers one transaction turns into jobs.
const wakeupBatch = 500

// SweepWakeups turns the timers kept on execution rows that fall due within
// the timer horizon into advance jobs, and reports how many.
func (e *Engine) SweepWakeups(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := e.store.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
			now := e.now()
			due, err := tx.ExecutionClaimWakeups(ctx, now.Add(e.timerHorizon), now, wakeupBatch)
			if err != nil {
				return err
			}
			n = len(due)
			if n == 0 {
				return nil
			}
			jobs := make([]river.InsertManyParams, n)
			for i, w := range due {
				jobs[i] = advanceJob(AdvanceArgs{TenantID: w.TenantID, ExecutionID: w.ExecutionID, Token: w.Token}, w.At)
			}
			return tx.JobInsertMany(ctx, jobs)
		})
		if err != nil {
			return total, fmt.Errorf("sweep execution timers: %w", err)
		}
		total += n
		if n < wakeupBatch {
			return total, nil
		}
	}
}

// RunWakeups sweeps the timers kept on execution rows every
// Options.WakeupInterval until ctx ends. Run it on every node that works
// jobs: nodes split the due timers between them.
func (e *Engine) RunWakeups(ctx context.Context) {
	tick := time.NewTicker(e.wakeupEvery)
	defer tick.Stop()
	for {
		if _, err := e.SweepWakeups(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "execution timers not swept; trying again", "error", err, "in", e.wakeupEvery)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
