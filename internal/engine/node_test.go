package engine

import (
	"context"
	"log/slog"
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

// startForDispatcher starts an execution of wf whose call b's dispatcher
// makes. A start that finds the heartbeat stale leaves its call to a job
// (node.go), and a heartbeat fresh a moment ago can be stale at the
// start: a renewal that waits for the database longer than half an expiry
// fails, as one does on a loaded machine (SQLite's writer taken by the
// queue and the test's other writes). Such an execution is not the case
// under test: it is left to its job (the tests count calls and jobs per
// execution) and another is started.
func startForDispatcher(t *testing.T, b *bundle, wf uuid.UUID) *domain.Execution {
	t.Helper()
	for range 20 {
		waitFresh(t, b.eng)
		exec := b.start(t, wf, "")
		if exec.WakeAt != nil {
			return exec
		}
		t.Logf("the heartbeat was stale at the start of %s: its call went to a job; starting another", exec.ID)
	}
	t.Fatal("every start found the heartbeat stale")
	return nil
}

// startedCall waits for the call of execution id to begin in fx (calls of
// executions left to jobs by startForDispatcher may begin before it).
func startedCall(t *testing.T, fx *callEffect, id uuid.UUID) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case got := <-fx.started:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("the call of %s did not begin", id)
		}
	}
}

// deadHeartbeat writes the heartbeat of a node that renews it no more, as
// a process that dies now leaves it, and returns the node's ID.
func deadHeartbeat(t *testing.T, b *bundle) string {
	t.Helper()
	id := "dead-" + uuid.NewString()[:8]
	ctx := context.Background()
	require.NoError(t, b.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error { return tx.NodeRenew(ctx, id) }))
	return id
}

// heartbeatOf is when node id last renewed its heartbeat (false: it has
// none, never renewed or deleted by a recovery). SQLite only: PostgreSQL's
// NodeListLapsed skips a row that a renewal holds locked.
func heartbeatOf(t *testing.T, b *bundle, id string) (time.Time, bool) {
	t.Helper()
	ctx := context.Background()
	var nodes []store.Node
	require.NoError(t, b.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		nodes, err = tx.NodeListLapsed(ctx, "", 0)
		return err
	}))
	for _, n := range nodes {
		if n.ID == id {
			return n.RenewedAt, true
		}
	}
	return time.Time{}, false
}

// recoveredNodes is a log handler that gathers the nodes an engine found
// lapsed and recovered (the dead_node of node.recoverLapsed's warning).
type recoveredNodes struct {
	mu  sync.Mutex
	ids map[string]bool
}

func newRecoveredNodes() *recoveredNodes { return &recoveredNodes{ids: map[string]bool{}} }

func (h *recoveredNodes) Enabled(context.Context, slog.Level) bool { return true }

func (h *recoveredNodes) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "dead_node" {
			h.mu.Lock()
			h.ids[a.Value.String()] = true
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

func (h *recoveredNodes) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recoveredNodes) WithGroup(string) slog.Handler      { return h }

// has reports whether node id was recovered.
func (h *recoveredNodes) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ids[id]
}

// recoversDeadNotLive starts another node (its options set by mod) beside
// the heartbeat of a node that dies now, and checks that it recovers that
// node and not live, which is still renewing.
func recoversDeadNotLive(t *testing.T, b *bundle, fx *callEffect, live string, mod func(*Options)) {
	t.Helper()
	dead := deadHeartbeat(t, b)
	recovered := newRecoveredNodes()
	otherNode(t, b, fx, func(o *Options) {
		mod(o)
		o.Logger = slog.New(recovered)
	})
	require.Eventually(t, func() bool { return recovered.has(dead) }, time.Minute, 10*time.Millisecond,
		"the other node recovers the node that died")
	require.False(t, recovered.has(live), "not the node still renewing")
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
				wf := b.publish(t, callDef)
				exec := startForDispatcher(t, b, wf)         // left to the dispatcher
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
// under way for longer than another node takes to recover a dead one)
// keeps its heartbeat: another node watching recovers a node that died as
// it began watching and never this one, whose execution is called once
// and recorded by it.
func TestCallAfterStartLiveNodeNotRecovered(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		fx := newGatedCallEffect(16)
		slow := "slow-" + uuid.NewString()[:8]
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			eachCalls1(t, backend, fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
				wf := b.publish(t, callDef)
				exec := startForDispatcher(t, b, wf)
				startedCall(t, fx, exec.ID)
				// The watcher takes a node for dead once its heartbeat is 4 s
				// old: the slow node, renewing every interval, keeps its own
				// younger than that on a loaded machine too; and with an
				// expiry of 30 s it would take the dead node itself only
				// after the watcher.
				recoversDeadNotLive(t, b, fx, slow, func(o *Options) { o.NodeExpiry = 4 * time.Second })
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
			}, asNode(slow), func(o *Options) { o.NodeExpiry = 30 * time.Second })
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
				wf := b.publish(t, callDef)
				first := startForDispatcher(t, b, wf)
				require.Eventually(t, func() bool { return b.eng.CallStats().Called == 1 }, 10*time.Second, 5*time.Millisecond,
					"the first call holds the only slot")
				queued := startForDispatcher(t, b, wf) // waits in the dispatcher
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
	// Both processes run with an expiry of 20 s: the old one starts no
	// call once its last renewal began 10 s ago; the restarted one, alone,
	// takes its calls once its heartbeat is 10.1 s old, where the rule of
	// nodes among others waits for the expiry.
	const expiry = 20 * time.Second
	old := "old-" + uuid.NewString()[:8]
	refused := make(chan uuid.UUID, 16)
	eachCalls1(t, "sqlite", fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
		wf := b.publish(t, callDef)
		exec := startForDispatcher(t, b, wf)
		select {
		case id := <-refused:
			require.Equal(t, exec.ID, id, "the dispatcher took the call")
		case <-time.After(30 * time.Second):
			t.Fatal("the dispatcher did not take the call")
		}
		b.eng.node.halt(context.Background(), false) // killed before the call
		last, ok := heartbeatOf(t, b, old)
		require.True(t, ok, "the predecessor's heartbeat is left")
		otherNode(t, b, fx, func(o *Options) { o.NodeAlone, o.NodeExpiry = true, expiry })
		b.waitForWithin(t, exec.ID, 3*expiry, domain.ExecutionCompleted)
		recovered, ok := jobs.firstJobAt(exec.ID)
		require.True(t, ok, "recovered by a job")
		age := recovered.Sub(last)
		t.Logf("recovered when the predecessor's heartbeat was %s old", age)
		require.Greater(t, age, expiry/2, "not before the predecessor could still start calls")
		require.Less(t, age, expiry, "by the rule of a process alone: the rule of nodes among others waits for the expiry")
		require.Equal(t, 1, fx.callsOf(exec.ID))
		require.Equal(t, 1, jobs.jobsOf(exec.ID))
		var nodes []store.Node
		require.NoError(t, b.st.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
			var err error
			nodes, err = tx.NodeListLapsed(context.Background(), "", 0)
			return err
		}))
		require.Len(t, nodes, 1, "the predecessor's heartbeat is gone, the new one's kept: %v", nodes)
	}, asNode(old), func(o *Options) {
		o.NodeExpiry = expiry
		o.beforeCallHook = func(req EffectRequest) bool {
			refused <- req.ExecutionID
			return false
		}
	})
}

// TestCallAfterStartAloneOverlapNotRecovered: two processes alone on one
// SQLite file at once (a restart that starts the new one before the old
// has stopped): the new one takes a node that died as it started for a
// dead predecessor, and not the old one, still renewing; the old one's
// call under way is made once and recorded by it, with no job.
func TestCallAfterStartAloneOverlapNotRecovered(t *testing.T) {
	t.Parallel()
	fx := newGatedCallEffect(16)
	old := "old-" + uuid.NewString()[:8]
	eachCalls1(t, "sqlite", fx, func(t *testing.T, b *bundle, jobs *jobCountStore) {
		wf := b.publish(t, callDef)
		exec := startForDispatcher(t, b, wf)
		startedCall(t, fx, exec.ID)
		// The new process, with an expiry of 10 s, takes a predecessor
		// whose heartbeat is 5.1 s old: the old one, renewing every
		// interval, keeps its own younger than that on a loaded machine
		// too; and with an expiry of 30 s it would take the dead node
		// itself only after the new one.
		recoversDeadNotLive(t, b, fx, old, func(o *Options) { o.NodeAlone, o.NodeExpiry = true, 10*time.Second })
		_, ok := heartbeatOf(t, b, old)
		require.True(t, ok, "its heartbeat kept")
		got, _ := b.get(t, exec.ID)
		require.Equal(t, exec.Token, got.Token, "not recovered")
		close(fx.gate)
		b.waitFor(t, exec.ID, domain.ExecutionCompleted)
		require.Equal(t, 1, fx.callsOf(exec.ID))
		require.Zero(t, jobs.jobsOf(exec.ID), "no job")
	}, asNode(old), func(o *Options) { o.NodeAlone, o.NodeExpiry = true, 30*time.Second })
}

// slowRecoveryStore holds the first look for lapsed nodes until its
// context ends (the engine's Close): a recovery as slow as one moving
// many calls on a busy database.
type slowRecoveryStore struct {
	store.Store
	once    sync.Once
	entered chan struct{} // closed when the first look began
}

func (s *slowRecoveryStore) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, tenantID, func(tx store.Tx) error { return fn(&slowRecoveryTx{Tx: tx, s: s}) })
}

type slowRecoveryTx struct {
	store.Tx
	s *slowRecoveryStore
}

func (t *slowRecoveryTx) NodeListLapsed(ctx context.Context, self string, expiry time.Duration) ([]store.Node, error) {
	first := false
	t.s.once.Do(func() { first = true })
	if first {
		close(t.s.entered)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return t.Tx.NodeListLapsed(ctx, self, expiry)
}

// TestNodeRenewsWhileARecoveryIsSlow: a recovery of lapsed nodes that
// takes long does not hold back the node's own renewals (it used to run
// in the renewal loop, up to its 30 s timeout, while the heartbeat went
// stale and other nodes could take this one for dead). PostgreSQL: on
// SQLite the recovery's open transaction holds the one writer, so the
// renewals wait for it whatever the loop does.
func TestNodeRenewsWhileARecoveryIsSlow(t *testing.T) {
	t.Parallel()
	slow := &slowRecoveryStore{entered: make(chan struct{})}
	wrap := func(st store.Store) store.Store { slow.Store = st; return slow }
	eachOpen(t, "postgres", wrap, func(t *testing.T, b *bundle) {
		t.Cleanup(b.eng.Close)
		select {
		case <-slow.entered:
		case <-time.After(30 * time.Second):
			t.Fatal("no recovery began")
		}
		since := time.Now()
		require.Eventually(t, func() bool {
			b.eng.node.mu.Lock()
			defer b.eng.node.mu.Unlock()
			return b.eng.node.renewed.After(since)
		}, 10*time.Second, 10*time.Millisecond, "a renewal began while the recovery was under way")
	}, func(o *Options) { o.CallAfterStart, o.NodeAlone = true, true }, asNode("slowrecovery-"+uuid.NewString()[:8]))
}
