package auth

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHashGateDefaults(t *testing.T) {
	t.Parallel()
	g := NewHashGate(0, 0, 0)
	require.Equal(t, runtime.GOMAXPROCS(0), g.Concurrency())
	require.Equal(t, runtime.GOMAXPROCS(0)*DefaultHashQueuePerSlot, cap(g.queue))
	require.Equal(t, DefaultHashWait, g.wait)
	require.Equal(t, 0, cap(NewHashGate(3, -1, 0).queue))
}

// TestHashGateSheds fills the one slot and the one queue place: the next
// caller is refused at once, the queued one after the wait, and neither
// runs.
func TestHashGateSheds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := NewHashGate(1, 1, 50*time.Millisecond)
	release := make(chan struct{})
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- g.Do(ctx, func() error { close(running); <-release; return nil })
	}()
	<-running

	queued := make(chan error, 1)
	go func() { queued <- g.Do(ctx, func() error { t.Error("ran past a full gate"); return nil }) }()
	// Wait until the second caller holds the queue place.
	require.Eventually(t, func() bool { return len(g.queue) == 1 }, 10*time.Second, time.Millisecond)

	err := g.Do(ctx, func() error { t.Error("ran past a full queue"); return nil })
	var be *BusyError
	require.ErrorAs(t, err, &be)
	require.ErrorIs(t, err, ErrBusy)
	require.Equal(t, 1, be.RetryAfterSeconds)

	err = <-queued
	require.ErrorIs(t, err, ErrBusy, "the queued caller gives up after the wait")
	close(release)
	require.NoError(t, <-done)

	// Free again: runs, and passes fn's error through.
	boom := errors.New("boom")
	require.ErrorIs(t, g.Do(ctx, func() error { return boom }), boom)
}

// TestHashGateQueueMoves: a queued caller runs as soon as a slot frees.
func TestHashGateQueueMoves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := NewHashGate(1, 1, time.Minute)
	release := make(chan struct{})
	running := make(chan struct{})
	go func() { _ = g.Do(ctx, func() error { close(running); <-release; return nil }) }()
	<-running
	var ran atomic.Bool
	queued := make(chan error, 1)
	go func() { queued <- g.Do(ctx, func() error { ran.Store(true); return nil }) }()
	require.Eventually(t, func() bool { return len(g.queue) == 1 }, 10*time.Second, time.Millisecond)
	close(release)
	require.NoError(t, <-queued)
	require.True(t, ran.Load())

	// A caller whose context ends stops waiting.
	hold := make(chan struct{})
	held := make(chan struct{})
	go func() { _ = g.Do(ctx, func() error { close(held); <-hold; return nil }) }()
	<-held
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err := g.Do(cctx, func() error { t.Error("ran after its context ended"); return nil })
	require.ErrorIs(t, err, ErrBusy)
	require.ErrorIs(t, err, context.Canceled)
	close(hold)
}

// TestHashGateBoundsConcurrency runs 200 callers through 3 slots: never
// more than 3 run at once, and every caller either runs or is refused
// with a BusyError.
func TestHashGateBoundsConcurrency(t *testing.T) {
	t.Parallel()
	g := NewHashGate(3, 20, 20*time.Millisecond)
	var cur, peak, ran, busy atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.Do(context.Background(), func() error {
				n := cur.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				cur.Add(-1)
				ran.Add(1)
				return nil
			})
			if err != nil {
				if !errors.Is(err, ErrBusy) {
					t.Errorf("got %v, want ErrBusy", err)
				}
				busy.Add(1)
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int32(3))
	require.EqualValues(t, 200, ran.Load()+busy.Load())
	require.Zero(t, len(g.slots))
	require.Zero(t, len(g.queue))
}
