package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// The heartbeat of a process that makes calls after start.
//
// With Options.NodeID, the start transaction names this process on the
// rows whose call its dispatcher makes (store.ExecutionInsertParams'
// CallNode), and the engine renews a heartbeat under that name every
// Options.NodeInterval (engine_nodes, at the database's clock). A node
// whose heartbeat is older than Options.NodeExpiry is dead: the first
// healthy node to see it moves the recovery time of its calls to now
// (ExecutionRecoverCalls: the rows are read through the wake_at index,
// recovery times being at most the recovery window ahead, and filtered
// by node), so a sweep of timers, run at once, turns them into advance
// jobs; then it deletes the heartbeat. A dead node's calls are thus
// recovered within the expiry plus an interval or two of its death, not
// at their recovery time minutes later. A node judges others only once
// its own renewals have succeeded without a gap for store.LeaseSettle, as
// job leases do, so after a database outage live nodes are not taken for
// dead. A process alone on its database (Options.NodeAlone: SQLite) has
// no database outage to settle after, nor other live nodes but an
// overlapping predecessor (a restart that starts the new process before
// the old one has stopped): from its first renewal it recovers the calls
// of every node whose heartbeat is older than half an expiry and an
// interval (aloneLapse, 7 s by default). A predecessor that crashed is
// thus recovered seconds after its last renewal, while one still alive,
// draining its calls, renews and keeps them; and one whose heartbeat is
// that old starts no call any more (the fence below), so none of its
// waiting calls is made twice.
//
// A node that is alive but lapsed (paused, or cut off from the database
// longer than the expiry) must not make those calls any more. Two fences
// see to it. The recovery moves each execution's token on, so the
// dispatcher's check (ExecutionStates) finds it moved on and drops its
// call. And the dispatcher starts a call only while its own heartbeat is
// fresh: its last successful renewal began less than half an expiry ago
// (fresh), so no node can have judged it dead yet; a stale node's calls
// wait (or, past their start window, go to jobs, whose hand-off skips
// executions whose token moved). A call that was under way when its node
// lapsed is made again by the recovery: it is a call made and not
// recorded, the window of doc.go, as for a job whose lease expired.
//
// Clean shutdown: StopCalls, once the calls under way are recorded,
// deletes the heartbeat; if some were still under way at its deadline the
// heartbeat is left to lapse, and other nodes recover them.

// node keeps this process's heartbeat and recovers lapsed nodes' calls.
type node struct {
	e                *Engine
	id               string
	interval, expiry time.Duration
	alone            bool
	// beforeRenew is Options.beforeNodeRenewHook.
	beforeRenew func() bool

	mu sync.Mutex
	// renewed is when the last successful renewal began (zero: none).
	renewed time.Time
	// renewals is signalled after each successful renewal (the
	// dispatcher's feeder waits on it while the heartbeat is stale).
	renewals chan struct{}

	stop     chan struct{}
	done     chan struct{}
	haltOnce sync.Once
}

// newNode starts the heartbeat of the engine's node id.
func newNode(e *Engine, opts Options) *node {
	n := &node{e: e, id: opts.NodeID, interval: opts.NodeInterval, expiry: opts.NodeExpiry, alone: opts.NodeAlone,
		beforeRenew: opts.beforeNodeRenewHook, renewals: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if n.interval <= 0 {
		n.interval = store.DefaultLeaseInterval
	}
	if n.expiry <= 0 {
		n.expiry = store.DefaultLeaseExpiry
	}
	go n.run()
	return n
}

// fresh reports whether the node may start a call after start: its last
// renewal began less than half an expiry ago, so no other node can judge
// it dead before the call starts.
func (n *node) fresh() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.renewed.IsZero() && time.Since(n.renewed) < n.expiry/2
}

// aloneLapse is how old another node's heartbeat must be for a process
// alone on its database to recover its calls: past half an expiry the
// node starts no call (fresh), and the interval covers a renewal that
// began just before that.
func (n *node) aloneLapse() time.Duration { return n.expiry/2 + n.interval }

// run renews the heartbeat every interval and, once settled, recovers
// the calls of lapsed nodes, until halt.
func (n *node) run() {
	defer close(n.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-n.stop
		cancel()
	}()
	tick := time.NewTicker(n.interval)
	defer tick.Stop()
	settle := store.LeaseSettle(n.interval, n.expiry)
	var health store.RenewalHealth
	// A recovery runs beside the renewals, one at a time: a slow one (many
	// calls to move, a busy database, a sweep of their timers) must not
	// hold back this node's own renewals, or its heartbeat goes stale and
	// other nodes take it for dead. It ends with ctx, before run returns.
	var recovering sync.WaitGroup
	defer recovering.Wait()
	idle := make(chan struct{}, 1)
	idle <- struct{}{}
	recoverLapsed := func(expiry time.Duration) {
		select {
		case <-idle:
		default:
			return // the last one is still under way
		}
		recovering.Add(1)
		go func() {
			defer recovering.Done()
			defer func() { idle <- struct{}{} }()
			n.recoverLapsed(ctx, expiry)
		}()
	}
	for {
		began := time.Now()
		err := n.renew(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			if health.Failed() {
				n.e.log.Warn("node heartbeat not renewed; calls after start wait, and other nodes may recover them",
					"node", n.id, "error", err)
			}
		default:
			// Freshness counts from the renewal's beginning (the
			// database's clock stamped it somewhere after that), settling
			// from its end (store.RenewalHealth.Renewed).
			n.mu.Lock()
			n.renewed = began
			n.mu.Unlock()
			select {
			case n.renewals <- struct{}{}:
			default:
			}
			now := time.Now()
			if health.Renewed(now) {
				n.e.log.Info("node heartbeat renewed again", "node", n.id)
			}
			if n.alone {
				recoverLapsed(n.aloneLapse())
			} else if health.Settled(now, settle) {
				recoverLapsed(n.expiry)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// renew writes the heartbeat in a system transaction; one slower than
// half an expiry counts as failed.
func (n *node) renew(ctx context.Context) error {
	if n.beforeRenew != nil && !n.beforeRenew() {
		return fmt.Errorf("renew node %s: skipped by the test", n.id)
	}
	opCtx, cancel := context.WithTimeout(ctx, max(n.interval, n.expiry/2))
	defer cancel()
	return n.e.store.InTx(opCtx, uuid.Nil, func(tx store.Tx) error {
		return tx.NodeRenew(opCtx, n.id)
	})
}

// recoverLapsed moves the recovery time of the calls of every node whose
// heartbeat is older than expiry to now and
// deletes their heartbeats, in one system transaction; when calls were
// recovered it sweeps the timers at once, so their jobs run now.
func (n *node) recoverLapsed(ctx context.Context, expiry time.Duration) {
	type lapsed struct {
		store.Node
		calls int
	}
	var dead []lapsed
	opCtx, cancel := context.WithTimeout(ctx, batchTxTimeout)
	defer cancel()
	err := n.e.store.InTx(opCtx, uuid.Nil, func(tx store.Tx) error {
		dead = dead[:0]
		nodes, err := tx.NodeListLapsed(opCtx, n.id, expiry)
		if err != nil {
			return err
		}
		now := n.e.now()
		// The dead node's recovery times are at most the recovery window
		// after its starts, read by its clock: the margin covers clocks.
		before := now.Add(n.e.callWindows.recovery() + n.e.callWindows.margin)
		for _, dn := range nodes {
			calls, err := tx.ExecutionRecoverCalls(opCtx, &store.ExecutionRecoverCallsParams{NodeID: dn.ID, Before: before, At: now})
			if err != nil {
				return err
			}
			if err := tx.NodeDelete(opCtx, dn.ID); err != nil {
				return err
			}
			dead = append(dead, lapsed{Node: dn, calls: calls})
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			n.e.log.Warn("lapsed nodes' calls not recovered; trying again", "node", n.id, "error", err)
		}
		return
	}
	total := 0
	for _, dn := range dead {
		total += dn.calls
		n.e.log.Warn("node heartbeat lapsed: its calls after start recovered", "dead_node", dn.ID, "calls", dn.calls,
			"last_renewed_ago", time.Since(dn.RenewedAt).Round(time.Millisecond))
	}
	if total > 0 {
		if _, err := n.e.SweepWakeups(ctx); err != nil && ctx.Err() == nil {
			n.e.log.Warn("recovered calls not swept to jobs; the next sweep takes them", "error", err)
		}
	}
}

// halt stops the heartbeat and, with remove, deletes it (the node's calls
// are all recorded or handed to jobs); without, it is left to lapse, and
// other nodes recover the calls it still names. Only the first halt
// counts.
func (n *node) halt(ctx context.Context, remove bool) {
	n.haltOnce.Do(func() {
		close(n.stop)
		<-n.done
		n.mu.Lock()
		n.renewed = time.Time{}
		n.mu.Unlock()
		if !remove {
			return
		}
		opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTry)
		defer cancel()
		err := n.e.store.InTx(opCtx, uuid.Nil, func(tx store.Tx) error { return tx.NodeDelete(opCtx, n.id) })
		if err != nil {
			n.e.log.Warn("node heartbeat not deleted; it lapses, and other nodes find nothing of its to recover",
				"node", n.id, "error", err)
		}
	})
}
