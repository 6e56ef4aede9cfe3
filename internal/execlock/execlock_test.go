package execlock_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/execlock"
	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
)

func TestRedisLock(t *testing.T) {
	t.Parallel()
	c := execlocktest.Redis(t)
	ctx := context.Background()
	prefix := execlocktest.Prefix()
	a, b := execlock.NewRedis(c, prefix), execlock.NewRedis(c, prefix) // two processes
	id := uuid.New()
	key := a.Key(id)
	require.Equal(t, prefix+id.String(), key)

	release, ok, err := a.Acquire(ctx, id, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	pttl, err := c.PTTL(ctx, key).Result()
	require.NoError(t, err)
	require.Greater(t, pttl, time.Duration(0))
	require.LessOrEqual(t, pttl, time.Minute)

	// Held: neither another process nor the same one takes it again.
	for _, l := range []*execlock.Redis{b, a} {
		other, ok, err := l.Acquire(ctx, id, time.Minute)
		require.NoError(t, err)
		require.False(t, ok)
		require.NotNil(t, other)
		require.NoError(t, other(ctx)) // the release of a lock not taken deletes nothing
		require.EqualValues(t, 1, c.Exists(ctx, key).Val())
	}
	// Another execution's lock is its own.
	r2, ok, err := b.Acquire(ctx, uuid.New(), time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, r2(ctx))

	// The owner releases, even with its context ended, and twice is harmless.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	require.NoError(t, release(ended))
	require.NoError(t, release(ctx))
	require.EqualValues(t, 0, c.Exists(ctx, key).Val())
	release, ok, err = b.Acquire(ctx, id, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, release(ctx))
}

func TestRedisLockExpires(t *testing.T) {
	t.Parallel()
	c := execlocktest.Redis(t)
	ctx := context.Background()
	prefix := execlocktest.Prefix()
	a, b := execlock.NewRedis(c, prefix), execlock.NewRedis(c, prefix)
	id := uuid.New()

	stale, ok, err := a.Acquire(ctx, id, 50*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	// Once the TTL has passed, another process takes it.
	var release execlock.Release
	require.Eventually(t, func() bool {
		var err error
		release, ok, err = b.Acquire(ctx, id, time.Minute)
		require.NoError(t, err)
		return ok
	}, 10*time.Second, 20*time.Millisecond)
	// The first owner, late, does not release the new owner's lock.
	require.NoError(t, stale(ctx))
	require.EqualValues(t, 1, c.Exists(ctx, a.Key(id)).Val())
	_, ok, err = a.Acquire(ctx, id, time.Minute)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, release(ctx))
	require.EqualValues(t, 0, c.Exists(ctx, a.Key(id)).Val())
}

func TestRedisLockErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := execlock.NewRedis(execlocktest.ClosedRedis(t), "")
	release, ok, err := down.Acquire(ctx, uuid.New(), time.Second)
	require.Error(t, err)
	require.False(t, ok)
	require.NoError(t, release(ctx))

	_, ok, err = down.Acquire(ctx, uuid.New(), 0)
	require.ErrorContains(t, err, "ttl")
	require.False(t, ok)
}

func TestNop(t *testing.T) {
	t.Parallel()
	for _, l := range []execlock.Locker{execlock.Nop{}, execlock.FailOpen(nil, nil)} {
		release, ok, err := l.Acquire(context.Background(), uuid.New(), time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, release(context.Background()))
	}
}

// fakeLocker answers with err, or else ok, and counts its calls.
type fakeLocker struct {
	calls      atomic.Int64
	releases   atomic.Int64
	ok         bool
	err        error
	releaseErr error
}

func (f *fakeLocker) Acquire(context.Context, uuid.UUID, time.Duration) (execlock.Release, bool, error) {
	f.calls.Add(1)
	if f.err != nil {
		return func(context.Context) error { return nil }, false, f.err
	}
	return func(context.Context) error { f.releases.Add(1); return f.releaseErr }, f.ok, nil
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(s string) int { return strings.Count(b.String(), s) }

func TestFailOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	id := uuid.New()

	t.Run("passes answers through", func(t *testing.T) {
		t.Parallel()
		free := &fakeLocker{ok: true}
		release, ok, err := execlock.FailOpen(free, nil).Acquire(ctx, id, time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, release(ctx))
		require.EqualValues(t, 1, free.releases.Load())

		held := &fakeLocker{ok: false}
		release, ok, err = execlock.FailOpen(held, nil).Acquire(ctx, id, time.Second)
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, release(ctx))
		require.EqualValues(t, 0, held.releases.Load())
	})

	t.Run("a failure counts as taken, pauses and warns once", func(t *testing.T) {
		t.Parallel()
		logs := &logBuffer{}
		down := &fakeLocker{err: errors.New("connection refused")}
		l := execlock.FailOpen(down, slog.New(slog.NewTextHandler(logs, nil)))
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				release, ok, err := l.Acquire(ctx, id, time.Second)
				require.NoError(t, err)
				require.True(t, ok)
				require.NoError(t, release(ctx))
			})
		}
		wg.Wait()
		require.Equal(t, 1, logs.count("level=WARN"), "one warning per outage")
		require.Contains(t, logs.String(), "connection refused")
		// Within the pause the failing locker is not asked again.
		calls := down.calls.Load()
		_, ok, err := l.Acquire(ctx, id, time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, calls, down.calls.Load())
	})

	t.Run("a failed release is logged, not returned", func(t *testing.T) {
		t.Parallel()
		logs := &logBuffer{}
		flaky := &fakeLocker{ok: true, releaseErr: errors.New("i/o timeout")}
		release, ok, err := execlock.FailOpen(flaky, slog.New(slog.NewTextHandler(logs, nil))).Acquire(ctx, id, time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, release(ctx))
		require.Equal(t, 1, logs.count("level=WARN"))
		require.Contains(t, logs.String(), "i/o timeout")
	})

	t.Run("a cancelled caller is no outage", func(t *testing.T) {
		t.Parallel()
		logs := &logBuffer{}
		down := &fakeLocker{err: context.Canceled}
		l := execlock.FailOpen(down, slog.New(slog.NewTextHandler(logs, nil)))
		ended, cancel := context.WithCancel(ctx)
		cancel()
		_, ok, err := l.Acquire(ended, id, time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, 0, logs.count("level=WARN"))
		_, _, _ = l.Acquire(ended, id, time.Second)
		require.EqualValues(t, 2, down.calls.Load(), "not paused")
	})

	t.Run("against a Redis that is down", func(t *testing.T) {
		t.Parallel()
		logs := &logBuffer{}
		l := execlock.FailOpen(execlock.NewRedis(execlocktest.ClosedRedis(t), ""), slog.New(slog.NewTextHandler(logs, nil)))
		release, ok, err := l.Acquire(ctx, id, time.Second)
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, release(ctx))
		require.Equal(t, 1, logs.count("level=WARN"))
	})
}
