package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// A job that ignores its context still lets StopQueue return by the
// deadline: the soft stop gives way to the hard one, which gives up at the
// deadline itself.
func TestStopQueueReturnsByTheDeadlineWhenAJobIgnoresItsContext(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(2 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var softEnded, hardStarted time.Time
	wait := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	err := store.StopQueue(ctx,
		func(ctx context.Context) error { err := wait(ctx); softEnded = time.Now(); return err },
		func(ctx context.Context) error { hardStarted = time.Now(); return wait(ctx) })
	require.Error(t, err, "jobs still running at the deadline are reported")
	require.False(t, hardStarted.IsZero(), "running jobs were cancelled")
	require.True(t, softEnded.Before(deadline), "the soft stop ended before the deadline, leaving the hard stop time")
	require.WithinDuration(t, deadline, time.Now(), 5*time.Second, "returned at the deadline")
}

// A soft stop that finishes in time cancels nothing.
func TestStopQueueSoftStopCancelsNothing(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hard := false
	require.NoError(t, store.StopQueue(ctx,
		func(context.Context) error { return nil },
		func(context.Context) error { hard = true; return nil }))
	require.False(t, hard)
}
