package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Job leases: how a node's death is told apart from a node that is alive
// but slow.
//
// Every worker node runs River under a client ID of its own (NodeID), which
// River appends to a job's attempted_by when the node fetches it. While the
// node lives it renews the jobs it is running every LeaseInterval by
// setting their attempted_at to now. A running job whose attempted_at is
// older than LeaseExpiry therefore belongs to a node that stopped: the first
// node to notice hands it back (makes it available again), so its work
// resumes within LeaseExpiry plus a sweep interval of the death.
//
// Renewal also keeps River's own rescuer (RescueStuckJobsAfter, measured
// from attempted_at) off the jobs of a live node: a job is only ever taken
// from a node that stopped renewing, so an execution never has two workers
// in it because one of them was slow.
const (
	// DefaultLeaseInterval is how often a node renews its running jobs
	// and looks for expired ones.
	DefaultLeaseInterval = 2 * time.Second
	// DefaultLeaseExpiry is how old a running job's lease may get before
	// the job is handed back.
	DefaultLeaseExpiry = 10 * time.Second
)

// QueueLease is the lease side of a Queue whose client works jobs.
type QueueLease interface {
	// NodeID is the River client ID of this process, as it appears in the
	// attempted_by of the jobs it works.
	NodeID() string
	// LeaseRenew renews the lease of the running jobs this node fetched
	// last and returns how many it renewed.
	LeaseRenew(ctx context.Context) (int, error)
	// LeaseExpire hands back running jobs whose lease is older than
	// expiry: they become available at once (a job whose cancellation was
	// requested is cancelled instead). It returns the jobs handed back.
	LeaseExpire(ctx context.Context, expiry time.Duration) ([]ExpiredLease, error)
}

// ExpiredLease is a running job handed back because its lease expired.
type ExpiredLease struct {
	JobID int64
	// NodeID is the node that was running it.
	NodeID string
	// RenewedAt is when its lease was last renewed (or the job fetched).
	RenewedAt time.Time
}

// NewNodeID returns a River client ID unique to this process: host name,
// process ID and random bits (two processes on one host never share one,
// and a restarted process never reuses its predecessor's).
func NewNodeID() string {
	host, _ := os.Hostname()
	host = strings.NewReplacer(".", "_", " ", "_").Replace(host)
	if host == "" {
		host = "host"
	}
	if len(host) > 60 {
		host = strings.ToValidUTF8(host[:60], "") // never half a character
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// LeaseLoop keeps a node's leases: it renews them every interval and, when
// sweep is set, hands back the expired jobs of other nodes. It sweeps only
// once its own renewals have succeeded without a gap for half an expiry
// (at least two intervals), so that after an outage of the database (when
// no node could renew) the first node back does not take the jobs of nodes
// that are alive but have not renewed yet: they renew within an interval
// of the database's return. It returns when ctx ends.
func LeaseLoop(ctx context.Context, q QueueLease, interval, expiry time.Duration, sweep bool, log *slog.Logger) {
	if interval <= 0 {
		interval = DefaultLeaseInterval
	}
	if expiry <= 0 {
		expiry = DefaultLeaseExpiry
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	settle := LeaseSettle(interval, expiry)
	// A renewal slower than this counts as failed (a database too slow to
	// renew within half an expiry may let leases lapse).
	opTimeout := max(interval, expiry/2)
	var health RenewalHealth
	for {
		opCtx, cancel := context.WithTimeout(ctx, opTimeout)
		_, err := q.LeaseRenew(opCtx)
		if err == nil {
			if health.Renewed(time.Now()) {
				log.InfoContext(ctx, "job lease: renewing again", "node", q.NodeID())
			}
			if sweep && health.Settled(time.Now(), settle) {
				var expired []ExpiredLease
				if expired, err = q.LeaseExpire(opCtx, expiry); err == nil {
					logExpired(ctx, log, expired)
				}
			}
		}
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil && health.Failed() {
			log.WarnContext(ctx, "job lease: cannot renew or sweep; another node may take this node's jobs", "node", q.NodeID(), "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// RenewalHealth tells whether a node's renewals (job leases, the engine's
// node heartbeat) have succeeded without a gap for long enough that it may
// judge other nodes dead by theirs (LeaseSettle). The zero value has seen
// no renewal. It is not safe for concurrent use: one renewal loop owns it.
type RenewalHealth struct {
	// healthySince is when the current run of successful renewals began:
	// the end of its first renewal (zero: none, or the last one failed).
	healthySince time.Time
	failing      bool
}

// Failed records a failed renewal (or a failed step of the same round, such
// as a sweep). It reports whether this is the first failure since the
// renewals last succeeded, so that the caller warns once per outage.
func (h *RenewalHealth) Failed() (first bool) {
	first = !h.failing
	h.healthySince, h.failing = time.Time{}, true
	return first
}

// Renewed records a successful renewal that ended at end. A run of
// successes counts from the end of its first renewal, not its beginning: a
// renewal that waited through an outage of the database and succeeded at
// its return must not count the outage as healthy time, or the node would
// judge others before they had an interval to renew after the return. It
// reports whether renewals had been failing until now.
func (h *RenewalHealth) Renewed(end time.Time) (recovered bool) {
	recovered = h.failing
	if h.healthySince.IsZero() {
		h.healthySince = end
	}
	h.failing = false
	return recovered
}

// Settled reports whether, at now, the renewals have succeeded without a
// gap for at least settle.
func (h *RenewalHealth) Settled(now time.Time, settle time.Duration) bool {
	return !h.healthySince.IsZero() && now.Sub(h.healthySince) >= settle
}

// LeaseSettle is how long a node's own renewals must have succeeded
// without a gap before it may judge other nodes dead by theirs: half an
// expiry, and at least two intervals. After an outage of the database no
// node could renew; the first one back then waits for the others, alive
// but not renewed yet, to renew (they do within an interval of the
// database's return). The engine's node heartbeat (calls after start)
// takes the same care.
func LeaseSettle(interval, expiry time.Duration) time.Duration {
	return max(expiry/2, 2*interval)
}

func logExpired(ctx context.Context, log *slog.Logger, expired []ExpiredLease) {
	if len(expired) == 0 {
		return
	}
	byNode := map[string]int{}
	oldest := time.Now()
	for _, e := range expired {
		byNode[e.NodeID]++
		if e.RenewedAt.Before(oldest) {
			oldest = e.RenewedAt
		}
	}
	for node, n := range byNode {
		log.WarnContext(ctx, "job lease expired: handed back the jobs of a node that stopped renewing",
			"dead_node", node, "jobs", n, "last_renewed_ago", time.Since(oldest).Round(time.Millisecond))
	}
}

// LeaseRunner is what a backend's queue keeps between Start and Stop:
// whether its River client runs, and the lease loop beside it. The zero
// value is a queue that has not started.
type LeaseRunner struct {
	mu      sync.Mutex
	running bool
	stop    context.CancelFunc
	done    chan struct{}
}

// Running reports whether the queue has started and not stopped.
func (r *LeaseRunner) Running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// Started marks the queue running and, unless interval is negative, keeps
// q's leases with LeaseLoop (sweeping others' when sweep is set) until
// Stop, whatever becomes of ctx.
func (r *LeaseRunner) Started(ctx context.Context, q QueueLease, interval, expiry time.Duration, sweep bool, log *slog.Logger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = true
	if interval < 0 {
		return
	}
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	r.stop, r.done = stop, done
	go func() {
		defer close(done)
		LeaseLoop(loopCtx, q, interval, expiry, sweep, log)
	}()
}

// Stop stops the client through StopQueue (fetching ends at once, running
// jobs finish or are cancelled near ctx's deadline) and then the lease
// loop, so the leases of running jobs are renewed until they end. It
// returns by ctx's deadline; on a queue that is not running it does
// nothing.
func (r *LeaseRunner) Stop(ctx context.Context, stop, cancel func(context.Context) error) error {
	r.mu.Lock()
	running := r.running
	r.running = false
	loopStop, loopDone := r.stop, r.done
	r.stop, r.done = nil, nil
	r.mu.Unlock()
	if !running {
		return nil
	}
	err := StopQueue(ctx, stop, cancel)
	if loopStop != nil {
		loopStop()
		<-loopDone
	}
	return err
}
