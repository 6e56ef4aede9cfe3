package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/execlock"
	"github.com/nextflow-dev/nextflow/internal/execlock/execlocktest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// countingLocker counts, per execution, the acquisitions that found the
// lock held by someone else, and the failures.
type countingLocker struct {
	execlock.Locker
	mu     sync.Mutex
	busy   map[uuid.UUID]int
	failed int
}

func (c *countingLocker) Acquire(ctx context.Context, id uuid.UUID, ttl time.Duration) (execlock.Release, bool, error) {
	release, ok, err := c.Locker.Acquire(ctx, id, ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed++
	} else if !ok {
		c.busy[id]++
	}
	return release, ok, err
}

func (c *countingLocker) failures() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed
}

func (c *countingLocker) busyCount(id uuid.UUID) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.busy[id]
}

func TestExecLockHeldSnoozesAdvance(t *testing.T) {
	t.Parallel()
	rdb := execlocktest.Redis(t)
	prefix := execlocktest.Prefix()
	locker := &countingLocker{Locker: execlock.NewRedis(rdb, prefix), busy: map[uuid.UUID]int{}}
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		wf := b.publish(t, fmt.Sprintf(waitDef, "1h"))
		exec := b.start(t, wf, `{"order_id": 42}`)
		b.waitFor(t, exec.ID, domain.ExecutionWaiting)

		// Another worker holds the execution's lock when the event resumes it.
		// (The job that parked the execution lets go of the lock just
		// after its commit.)
		other := execlock.NewRedis(rdb, prefix)
		var release execlock.Release
		require.Eventually(t, func() bool {
			var ok bool
			var err error
			release, ok, err = other.Acquire(ctx, exec.ID, time.Minute)
			return err == nil && ok
		}, 10*time.Second, 5*time.Millisecond)
		require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
			_, err := b.eng.ResumeTx(ctx, tx, ResumeEvent{TenantID: b.tenant, EventName: "order.paid", Correlation: map[string]string{"order_id": "42"}, Payload: json.RawMessage(`{"total": 99.5}`)})
			return err
		}))
		// The advance job keeps coming back without going in.
		require.Eventually(t, func() bool { return locker.busyCount(exec.ID) >= 3 }, 20*time.Second, 10*time.Millisecond)
		held, steps := b.get(t, exec.ID)
		require.Equal(t, domain.ExecutionRunning, held.Status)
		require.Equal(t, []string{"start", "paid"}, nodeIDs(steps))

		require.NoError(t, release(ctx))
		_, steps = b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "paid", "thanks", "done"}, nodeIDs(steps))
		// The engine let go of its lock.
		require.Eventually(t, func() bool { return rdb.Exists(ctx, other.Key(exec.ID)).Val() == 0 }, 10*time.Second, 10*time.Millisecond)
	}, func(o *Options) { o.Locker = locker })
}

func TestExecLockRedis(t *testing.T) {
	t.Parallel()
	rdb := execlocktest.Redis(t)
	locker := execlock.NewRedis(rdb, execlocktest.Prefix())
	each(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7, "token": "s3cret"}`)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.EqualValues(t, 1, srv.calls.Load())
		require.Eventually(t, func() bool { return rdb.Exists(ctx, locker.Key(exec.ID)).Val() == 0 }, 10*time.Second, 10*time.Millisecond)
	}, func(o *Options) { o.Locker = locker })
}

func TestExecLockRedisDown(t *testing.T) {
	t.Parallel()
	locker := &countingLocker{Locker: execlock.NewRedis(execlocktest.ClosedRedis(t), ""), busy: map[uuid.UUID]int{}}
	each(t, func(t *testing.T, b *bundle) {
		srv := newSink(t, 0, 0)
		wf := b.publish(t, httpDef(srv.URL, "", false))
		exec := b.start(t, wf, `{"id": 7, "token": "s3cret"}`)
		_, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "call", "check", "done"}, nodeIDs(steps))
		require.EqualValues(t, 1, srv.calls.Load())

		wf2 := b.publish(t, fmt.Sprintf(waitDef, "1s"))
		timed := b.start(t, wf2, `{"order_id": 7}`)
		_, steps = b.waitFor(t, timed.ID, domain.ExecutionCompleted)
		require.Equal(t, []string{"start", "paid", "nudge", "done"}, nodeIDs(steps))
		require.Positive(t, locker.failures(), "the lock was asked and failed")
	}, func(o *Options) { o.Locker = locker })
}
