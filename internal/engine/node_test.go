package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Heartbeat bounds of the node tests: a node is dead a second after its
// last renewal, and fresh half a second after it began (a renewal slower
// than that fails), which a test machine under load still meets.
const (
	testNodeInterval = 100 * time.Millisecond
	testNodeExpiry   = time.Second
)

// asNode gives the engine a node ID and short heartbeat bounds.
func asNode(id string) func(*Options) {
	return func(o *Options) {
		o.NodeID, o.NodeInterval, o.NodeExpiry = id, testNodeInterval, testNodeExpiry
	}
}

// otherNode starts a second engine over b's store, as another process
// would: it makes calls after start under its own node ID and watches the
// other nodes' heartbeats (the jobs it causes are worked by b's queue).
func otherNode(t *testing.T, b *bundle, fx SideEffect, opts ...func(*Options)) *Engine {
	t.Helper()
	o := Options{CallAfterStart: true, SideEffects: []SideEffect{fx}}
	asNode("other-" + uuid.NewString()[:8])(&o)
	for _, f := range opts {
		f(&o)
	}
	other := New(b.st, o)
	t.Cleanup(other.Close)
	return other
}

// waitFresh waits for the engine's first heartbeat: before it, starts
// leave their calls to jobs.
func waitFresh(t *testing.T, e *Engine) {
	t.Helper()
	require.Eventually(t, e.node.fresh, 10*time.Second, 10*time.Millisecond)
}

// TestCallAfterStartNodeLapsed: the process that started an execution
// dies (its heartbeat stops) before making the call; another node finds
// its heartbeat lapsed within the expiry and recovers the execution at
// once, not at its recovery time minutes later: one job, which finds the
// entry PENDING with its attempt counted and calls once.
func TestCallAfterStartNodeLapsed(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newCallEffect()
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				waitFresh(t, b.eng)
				wf := b.publish(t, callDef)
				exec := b.start(t, wf, "")
				require.NotNil(t, exec.WakeAt, "left to the dispatcher")
				b.eng.node.halt(context.Background(), false) // SIGKILL: the heartbeat stops where it is
				died := time.Now()
				otherNode(t, b, fx)
				finished, steps := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
				took := time.Since(died)
				t.Logf("recovered %s after the death", took)
				require.Equal(t, []string{"start", "call", "done"}, nodeIDs(steps))
				require.Less(t, took, 10*time.Second, "within seconds of the death")
				require.True(t, finished.FinishedAt.Before(exec.WakeAt.Add(-3*time.Minute)), "long before the recovery time")
				require.Equal(t, 1, fx.callsOf(exec.ID), "called exactly once")
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, domain.OutboxDone, entries[0].Status)
				require.Equal(t, 2, entries[0].Attempts, "the start's count and the recovery's")
				require.Equal(t, 1, jobs.jobsOf(exec.ID), "one job: the recovery's")
			}, asNode("dead-"+uuid.NewString()[:8]), func(o *Options) { o.beforeCallHook = func(EffectRequest) bool { return false } })
		})
	}
}

// TestCallAfterStartLiveNodeNotRecovered: a node alive but slow (its call
// takes many expiries) keeps its heartbeat: another node watching never
// recovers its execution, which is called once and recorded by it.
func TestCallAfterStartLiveNodeNotRecovered(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newCallEffect()
		fx.gate, fx.started = make(chan struct{}), make(chan uuid.UUID, 2)
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				waitFresh(t, b.eng)
				otherNode(t, b, fx)
				wf := b.publish(t, callDef)
				exec := b.start(t, wf, "")
				require.Equal(t, exec.ID, <-fx.started)
				time.Sleep(6 * testNodeExpiry)
				got, _ := b.get(t, exec.ID)
				require.Equal(t, exec.Token, got.Token, "not recovered")
				require.Equal(t, exec.WakeAt, got.WakeAt, "its recovery time untouched")
				close(fx.gate)
				done, _ := b.waitFor(t, exec.ID, domain.ExecutionCompleted)
				require.Nil(t, done.WakeAt)
				require.Equal(t, 1, fx.callsOf(exec.ID))
				entries := b.outbox(t, exec.ID)
				require.Len(t, entries, 1)
				require.Equal(t, 1, entries[0].Attempts)
				require.Zero(t, jobs.jobsOf(exec.ID), "no job")
			}, asNode("slow-"+uuid.NewString()[:8]))
		})
	}
}

// TestCallAfterStartLapsedNodeRefused: a node whose heartbeat lapsed (a
// pause) while a call waited in its dispatcher is recovered by another
// node, whose job calls once; when the node comes back it renews and
// takes the waiting call, finds the execution moved on (the recovery
// moved its token) and makes no call.
func TestCallAfterStartLapsedNodeRefused(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newCallEffect()
		var paused atomic.Bool
		hold := make(chan struct{})
		// The first call the hook sees is held (then "dies"): naming it
		// after its start returned raced the dispatcher, which may call
		// before, and the first execution then completed on its own.
		var holdMu sync.Mutex
		var held uuid.UUID
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				waitFresh(t, b.eng)
				wf := b.publish(t, callDef)
				first := b.start(t, wf, "")
				require.Eventually(t, func() bool { return b.eng.CallStats().Called == 1 }, 10*time.Second, 5*time.Millisecond,
					"the first call holds the only slot")
				queued := b.start(t, wf, "")
				require.NotNil(t, queued.WakeAt, "waits in the dispatcher")
				paused.Store(true)
				otherNode(t, b, fx)
				require.Eventually(t, func() bool {
					got, _ := b.get(t, queued.ID)
					return got.Token != queued.Token
				}, 30*time.Second, 5*time.Millisecond, "recovered: its token moved on")
				// The first call's goroutine "dies" before calling; its slot
				// is free for the recovery jobs, and the waiting call stays
				// waiting while the node is stale.
				close(hold)
				for _, exec := range []*domain.Execution{first, queued} {
					b.waitFor(t, exec.ID, domain.ExecutionCompleted)
					require.Equal(t, 1, fx.callsOf(exec.ID), "the recovery's call")
				}
				paused.Store(false)
				require.Eventually(t, func() bool { return b.eng.CallStats().Dropped == 1 }, 30*time.Second, 5*time.Millisecond,
					"the waiting call finds its execution moved on and is dropped")
				require.Eventually(t, b.eng.node.fresh, 30*time.Second, 5*time.Millisecond, "renewing again")
				require.Equal(t, 1, fx.callsOf(queued.ID), "no second call")
				require.Equal(t, 1, jobs.jobsOf(queued.ID))
			}, asNode("paused-"+uuid.NewString()[:8]), func(o *Options) {
				o.MaxUncommittedCalls = 1
				o.beforeNodeRenewHook = func() bool { return !paused.Load() }
				o.beforeCallHook = func(req EffectRequest) bool {
					holdMu.Lock()
					if held == uuid.Nil {
						held = req.ExecutionID
					}
					isHeld := held == req.ExecutionID
					holdMu.Unlock()
					if isHeld {
						<-hold
						return false
					}
					return true
				}
			})
		})
	}
}

// TestCallAfterStartRecoveredAtRestart: a process alone on its database
// (SQLite) that restarts recovers the calls its dead predecessor left as
// soon as the predecessor's heartbeat is older than half an expiry and an
// interval, not after the expiry and a settling of its own.
func TestCallAfterStartRecoveredAtRestart(t *testing.T) {
	t.Parallel()
	fx := newCallEffect()
	eachCalls1(t, "sqlite", fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
		waitFresh(t, b.eng)
		wf := b.publish(t, callDef)
		exec := b.start(t, wf, "")
		require.NotNil(t, exec.WakeAt)
		b.eng.node.halt(context.Background(), false) // killed
		restarted := time.Now()
		// The restarted process judges by its own bounds: with an expiry
		// of 20 s, the alone rule recovers at 10.1 s, within waitFor's 20 s,
		// and the rule of nodes among others (the expiry) would not.
		otherNode(t, b, fx, func(o *Options) {
			o.NodeAlone, o.NodeInterval, o.NodeExpiry = true, 100*time.Millisecond, 20*time.Second
		})
		b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Greater(t, time.Since(restarted), 10*time.Second, "not before the predecessor could still start calls")
		require.Equal(t, 1, fx.callsOf(exec.ID))
		require.Equal(t, 1, jobs.jobsOf(exec.ID))
		var nodes []store.Node
		require.NoError(t, b.st.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
			var err error
			nodes, err = tx.NodeListLapsed(context.Background(), "", 0)
			return err
		}))
		require.Len(t, nodes, 1, "the predecessor's heartbeat is gone, the new one's kept: %v", nodes)
	}, asNode("old-"+uuid.NewString()[:8]), func(o *Options) { o.beforeCallHook = func(EffectRequest) bool { return false } })
}

// TestCallAfterStartAloneOverlapNotRecovered: two processes alone on one
// SQLite file at once (a restart that starts the new one before the old
// has stopped): the new one does not take the old one, still renewing,
// for a dead predecessor; the old one's call under way is made once and
// recorded by it, with no job.
func TestCallAfterStartAloneOverlapNotRecovered(t *testing.T) {
	t.Parallel()
	fx := newCallEffect()
	fx.gate, fx.started = make(chan struct{}), make(chan uuid.UUID, 2)
	eachCalls1(t, "sqlite", fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
		waitFresh(t, b.eng)
		wf := b.publish(t, callDef)
		exec := b.start(t, wf, "")
		require.Equal(t, exec.ID, <-fx.started)
		otherNode(t, b, fx, func(o *Options) { o.NodeAlone = true })
		time.Sleep(6 * testNodeExpiry)
		got, _ := b.get(t, exec.ID)
		require.Equal(t, exec.Token, got.Token, "not recovered")
		close(fx.gate)
		b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, 1, fx.callsOf(exec.ID))
		require.Zero(t, jobs.jobsOf(exec.ID), "no job")
	}, asNode("old-"+uuid.NewString()[:8]), func(o *Options) { o.NodeAlone = true })
}
