package execlock

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Switch returns a Locker that asks l while up reports true and is Nop
// otherwise: while Redis is known to be down the database lock alone
// serialises the work, at no cost per job (no timeout to wait out, no
// warning per job). failed, when not nil, is told about each error of l,
// so the owner of the connection can mark it down at once. Wrap the result
// in FailOpen (the engine does) for the failures up does not know of yet.
func Switch(l Locker, up func() bool, failed func(error)) Locker {
	if l == nil {
		return Nop{}
	}
	return &switchLocker{l: l, up: up, failed: failed}
}

type switchLocker struct {
	l      Locker
	up     func() bool
	failed func(error)
}

// Acquire implements Locker.
func (s *switchLocker) Acquire(ctx context.Context, executionID uuid.UUID, ttl time.Duration) (Release, bool, error) {
	if !s.up() {
		return noRelease, true, nil
	}
	release, ok, err := s.l.Acquire(ctx, executionID, ttl)
	if err != nil && s.failed != nil && ctx.Err() == nil {
		s.failed(err)
	}
	return release, ok, err
}
