package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// Retention defaults.
const (
	// DefaultRetention keeps events 90 days.
	DefaultRetention = 90 * 24 * time.Hour
	// DefaultRetentionEvery is how often a worker deletes expired events.
	DefaultRetentionEvery = time.Hour
	// retentionBatch is how many events one delete transaction removes.
	retentionBatch = 5000
)

// Retention deletes events older than Keep, in batches, every Every. Every
// worker node may run it: the deletes are idempotent and each is a short
// transaction of its own.
type Retention struct {
	Store store.Store
	// Keep is how long events are kept (by their time); 0 keeps them
	// forever.
	Keep  time.Duration
	Every time.Duration
	Log   *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Sweep deletes the events that occurred more than Keep ago and returns
// how many it deleted.
func (r *Retention) Sweep(ctx context.Context) (int, error) {
	if r.Keep <= 0 {
		return 0, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	before := now().Add(-r.Keep)
	total := 0
	for {
		var n int
		err := r.Store.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			n, err = tx.EventDeleteBefore(ctx, before, retentionBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("delete events before %s: %w", before.Format(time.RFC3339), err)
		}
		total += n
		if n < retentionBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// Run sweeps at once and then every Every until ctx ends.
func (r *Retention) Run(ctx context.Context) {
	if r.Keep <= 0 {
		return
	}
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	every := r.Every
	if every <= 0 {
		every = DefaultRetentionEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := r.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.WarnContext(ctx, "expired events not deleted; trying again", "error", err, "in", every)
		case n > 0:
			log.InfoContext(ctx, "expired events deleted", "events", n, "retention", r.Keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
