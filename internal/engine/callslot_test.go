package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// gatedEffect is fakeEffect whose calls wait at a gate: a test sees how
// many calls are under way and lets them end one by one.
type gatedEffect struct {
	*fakeEffect
	gate    chan struct{}
	entered atomic.Int64
	inCall  atomic.Int64
	maxCall atomic.Int64
}

func (g *gatedEffect) Perform(ctx context.Context, req EffectRequest) (json.RawMessage, error) {
	g.entered.Add(1)
	n := g.inCall.Add(1)
	for {
		m := g.maxCall.Load()
		if n <= m || g.maxCall.CompareAndSwap(m, n) {
			break
		}
	}
	defer g.inCall.Add(-1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.fakeEffect.Perform(ctx, req)
}

// TestUncommittedCallsAreBounded: with MaxUncommittedCalls 2, five
// executions reaching a side effect at once make two calls; a call that
// returned still holds its slot until its outcome commits (the result
// transaction is held), and the next calls start only after that. All
// five complete, each call made once. PostgreSQL only: SQLite's one
// writer cannot hold two outcome transactions open at once (the second
// gives up after its try, which frees its slot).
func TestUncommittedCallsAreBounded(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fx := &gatedEffect{fakeEffect: &fakeEffect{}, gate: make(chan struct{})}
			results := make(chan struct{}) // closed: outcomes may commit
			var held atomic.Int64          // outcomes waiting at the hook
			hook := func(uuid.UUID) error {
				held.Add(1)
				<-results
				return nil
			}
			each1(t, name, func(t *testing.T, b *bundle) {
				// A failing check must still let the held transaction
				// end, or the store's close waits for it forever.
				var once sync.Once
				release := func() { once.Do(func() { close(results); close(fx.gate) }) }
				t.Cleanup(release)
				ctx := context.Background()
				wf := b.publish(t, fakeDef(""))
				var ids []uuid.UUID
				for range 5 {
					var contactID uuid.UUID
					require.NoError(t, b.st.InTx(ctx, b.tenant, func(tx store.Tx) error {
						email := uuid.NewString()[:8] + "@example.com"
						c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: b.tenant, Email: &email})
						contactID = c.ID
						return err
					}))
					ids = append(ids, b.start(t, wf, fmt.Sprintf(`{"contact": %q}`, contactID)).ID)
				}
				require.Eventually(t, func() bool { return fx.entered.Load() == 2 }, 20*time.Second, 10*time.Millisecond)
				time.Sleep(300 * time.Millisecond)
				require.EqualValues(t, 2, fx.entered.Load(), "a third call while two are under way")

				// The two calls return; their outcomes wait for a commit: at
				// the hook, or behind it when the group commit took both
				// into one transaction.
				fx.gate <- struct{}{}
				fx.gate <- struct{}{}
				require.Eventually(t, func() bool { return held.Load() >= 1 && fx.inCall.Load() == 0 }, 20*time.Second, 10*time.Millisecond)
				time.Sleep(300 * time.Millisecond)
				require.EqualValues(t, 2, fx.entered.Load(), "a call while two outcomes are not committed")

				release()
				for _, id := range ids {
					_, steps := b.waitFor(t, id, domain.ExecutionCompleted)
					require.Equal(t, []string{"start", "send", "check", "done"}, nodeIDs(steps))
				}
				require.EqualValues(t, 5, fx.entered.Load(), "each call made once")
				require.LessOrEqual(t, fx.maxCall.Load(), int64(2))
			}, withEffect(fx), func(o *Options) {
				o.MaxUncommittedCalls = 2
				o.afterPerformHook = hook
			})
		})
	}
}

// TestCallSlotGivesUpWithTheJob: a job whose context ends while it waits
// for a slot takes none, and a released slot can be taken again.
func TestCallSlotGivesUpWithTheJob(t *testing.T) {
	t.Parallel()
	e := New(nil, Options{MaxUncommittedCalls: 1})
	release, err := e.callSlot(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.callSlot(ctx)
	require.ErrorIs(t, err, context.Canceled)
	release()
	release2, err := e.callSlot(context.Background())
	require.NoError(t, err)
	release2()

	unbounded := New(nil, Options{MaxUncommittedCalls: -1})
	for range 3 {
		_, err := unbounded.callSlot(ctx)
		require.NoError(t, err, "no bound: no wait")
	}
}

// TestReadyCallTakesASlotWithoutWaiting: a call readied in its pending
// effect's transaction takes a slot there, or is left to be counted after
// the commit when none is free or the limit holds it; a transaction that
// does not commit gives its slots back.
func TestReadyCallTakesASlotWithoutWaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := New(nil, Options{MaxUncommittedCalls: 1})
	fx := &fakeEffect{}
	first, second := &pendingEffect{fx: fx}, &pendingEffect{fx: fx}
	require.True(t, e.readyCall(ctx, first))
	require.False(t, e.readyCall(ctx, second), "no slot free: counted after the commit")
	require.Nil(t, second.release)
	giveBack([]*pendingEffect{first})
	require.Nil(t, first.release)
	require.True(t, e.readyCall(ctx, second), "the slot given back")
	second.release()

	fx.holds.Store(1)
	held := &pendingEffect{fx: fx}
	require.False(t, e.readyCall(ctx, held))
	require.Positive(t, held.hold, "held by the limit: the job snoozes on it")
	require.Nil(t, held.release, "no slot taken for a held call")
	require.False(t, e.readyCall(ctx, &pendingEffect{fx: fx, done: true}), "nothing to call")

	alone := New(nil, Options{MaxUncommittedCalls: 1, EffectResultsAlone: true})
	require.False(t, alone.readyCall(ctx, &pendingEffect{fx: &fakeEffect{}}), "results alone: attempts alone")
}
