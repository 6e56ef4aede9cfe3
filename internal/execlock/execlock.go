// Package execlock is the optional lock the engine takes on an execution
// before its database lock.
//
// Correctness never depends on it: every advance transaction still locks
// the execution's row (FOR UPDATE on PostgreSQL, the writer lock on SQLite)
// and checks the job's token, and that is the fence. What this lock saves is
// the pile-up in front of the row lock when several workers run jobs for one
// execution at once (a duplicate or late job, an event resume racing a
// timeout, a retry): instead of each holding a pooled database connection
// while it waits, a job that finds the lock taken comes back a moment later.
//
// With REDIS_URL set the lock is a Redis key, <prefix><execution ID>
// (DefaultRedisPrefix "nextflow:execlock:"), set with SET NX and an expiry
// to a random owner token and deleted only by its owner (a Lua
// compare-and-delete); it expires by itself after its TTL, so a process that
// dies holding it delays the execution by at most that. Without Redis the
// engine uses Nop.
//
// FailOpen wraps a Locker so that its failures never stop an execution:
// while Redis is unreachable the database lock alone serialises the work,
// and the outage is logged at warn once in a while.
package execlock

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Locker takes an execution's lock without waiting.
type Locker interface {
	// Acquire takes the lock of executionID for at most ttl if no one holds
	// it, without waiting. ok reports whether it was taken. release is
	// never nil (a no-op when ok is false) and may be called more than
	// once; a lock never released expires after ttl. err reports that the
	// lock could not be asked (ok is then false).
	Acquire(ctx context.Context, executionID uuid.UUID, ttl time.Duration) (release Release, ok bool, err error)
}

// Release frees a lock taken by Locker.Acquire. It does its work even when
// ctx has ended (a lock left held would delay the execution until its TTL),
// within a short timeout of its own. A lock that has expired, or is held by
// someone else since, is left alone.
type Release func(ctx context.Context) error

// noRelease is the Release of a lock not taken.
func noRelease(context.Context) error { return nil }

// Nop is the Locker used without Redis: every Acquire succeeds at once,
// leaving the database lock as the only one.
type Nop struct{}

// Acquire implements Locker.
func (Nop) Acquire(context.Context, uuid.UUID, time.Duration) (Release, bool, error) {
	return noRelease, true, nil
}

// Timings of FailOpen.
const (
	// FailPause is how long FailOpen leaves the wrapped Locker alone after
	// it failed, so that an outage does not cost every job a timeout.
	FailPause = 5 * time.Second
	// WarnEvery is the longest FailOpen stays quiet about an outage that
	// lasts.
	WarnEvery = time.Minute
)

// FailOpen returns a Locker that never fails: when l returns an error (or
// a Release fails), the lock counts as taken, so the caller goes on with the
// database lock only, and l is not asked again for FailPause. The first
// failure is logged at warn, later ones at most once per WarnEvery, and the
// recovery at info. l nil means Nop.
func FailOpen(l Locker, logger *slog.Logger) Locker {
	if l == nil {
		return Nop{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &failOpen{l: l, log: logger}
}

type failOpen struct {
	l   Locker
	log *slog.Logger

	// pauseUntil is when (Unix nanoseconds) l may be asked again.
	pauseUntil atomic.Int64
	// failing is set from a failure to the next success.
	failing atomic.Bool
	// lastWarn is when (Unix nanoseconds) the last warning was logged.
	lastWarn atomic.Int64
	// failures counts the failures not yet reported.
	failures atomic.Int64
}

// Acquire implements Locker; err is always nil.
func (f *failOpen) Acquire(ctx context.Context, executionID uuid.UUID, ttl time.Duration) (Release, bool, error) {
	if time.Now().UnixNano() < f.pauseUntil.Load() {
		return noRelease, true, nil
	}
	release, ok, err := f.l.Acquire(ctx, executionID, ttl)
	if err != nil {
		if ctx.Err() == nil { // the caller giving up is no outage
			f.failed(ctx, err)
		}
		return noRelease, true, nil
	}
	if f.failing.CompareAndSwap(true, false) {
		f.log.InfoContext(ctx, "execution lock reachable again")
	}
	if !ok {
		return noRelease, false, nil
	}
	return func(ctx context.Context) error {
		if err := release(ctx); err != nil {
			f.failed(ctx, err)
		}
		return nil
	}, true, nil
}

// failed pauses the use of the lock and logs err unless a warning was
// logged less than WarnEvery ago.
func (f *failOpen) failed(ctx context.Context, err error) {
	now := time.Now()
	f.pauseUntil.Store(now.Add(FailPause).UnixNano())
	n := f.failures.Add(1)
	first := f.failing.CompareAndSwap(false, true)
	last := f.lastWarn.Load()
	if !first && now.UnixNano()-last < int64(WarnEvery) {
		return
	}
	if !f.lastWarn.CompareAndSwap(last, now.UnixNano()) {
		return // another goroutine is logging
	}
	f.failures.Add(-n)
	f.log.WarnContext(ctx, "execution lock unavailable; going on with the database lock only",
		"error", err, "failures", n, "pause", FailPause)
}
