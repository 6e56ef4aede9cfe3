package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
)

// ErrBusy: every password-hashing slot is taken and the queue is full or
// did not move in time; see BusyError. The API answers 503 with
// Retry-After.
var ErrBusy = errors.New("the server is busy, try again shortly")

// BusyError is ErrBusy with the time to wait.
type BusyError struct {
	RetryAfterSeconds int
}

// Error says how long to wait.
func (e *BusyError) Error() string {
	return fmt.Sprintf("%v (retry in %d seconds)", ErrBusy, e.RetryAfterSeconds)
}

// Unwrap makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Unwrap() error { return ErrBusy }

// Defaults of the hashing gate: queue this many callers per slot, each
// for at most DefaultHashWait.
const (
	DefaultHashQueuePerSlot = 16
	DefaultHashWait         = 2 * time.Second
)

// HashGate bounds the memory and CPU that password hashing can take.
// argon2id allocates its whole memory cost (19 MiB by default) for each
// hash, so unbounded parallel sign-ins exhaust memory long before CPU: the
// gate lets at most Concurrency hashes run at once, lets at most Queue
// more callers wait, each for at most Wait, and refuses the rest at once
// with a BusyError. Peak hashing memory is then Concurrency × the memory
// cost, whatever the load.
type HashGate struct {
	slots chan struct{}
	queue chan struct{}
	wait  time.Duration
}

// NewHashGate returns a gate of concurrency slots (≤ 0: GOMAXPROCS), a
// queue of queue waiting callers (< 0: none; 0: 16 per slot) and a longest
// wait in the queue (≤ 0: DefaultHashWait).
func NewHashGate(concurrency, queue int, wait time.Duration) *HashGate {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	switch {
	case queue == 0:
		queue = concurrency * DefaultHashQueuePerSlot
	case queue < 0:
		queue = 0
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &HashGate{slots: make(chan struct{}, concurrency), queue: make(chan struct{}, queue), wait: wait}
}

// Concurrency is the number of hashes that may run at once.
func (g *HashGate) Concurrency() int { return cap(g.slots) }

// Do runs fn in a slot and returns its error: at once if a slot is free,
// else after waiting in the queue. A full queue or a wait longer than the
// gate's limit is a BusyError and fn does not run; so is ctx ending while
// waiting (the caller is gone or out of time).
func (g *HashGate) Do(ctx context.Context, fn func() error) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if err := g.await(ctx); err != nil {
			return err
		}
	}
	defer func() { <-g.slots }()
	return fn()
}

func (g *HashGate) await(ctx context.Context) error {
	select {
	case g.queue <- struct{}{}:
	default:
		return g.busy()
	}
	defer func() { <-g.queue }()
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-t.C:
		return g.busy()
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", g.busy(), ctx.Err())
	}
}

func (g *HashGate) busy() error {
	secs := int((g.wait + time.Second - 1) / time.Second)
	return &BusyError{RetryAfterSeconds: max(secs, 1)}
}
