package engine

import (
	"sync"
	"time"
)

// tenantQueue is the advance group commit's collector (batch.go): a few
// runner goroutines, each taking the requests of one tenant that are
// waiting when it is free (up to max) and handing them to runBatch as one
// batch, which is one transaction.
//
// A tenant's requests that arrive while a batch of its own is under way
// wait for that batch to end and form its next one, rather than a
// transaction of their own beside it: two transactions of one tenant at
// once split the same requests into smaller groups whose statements cost
// nearly as much (bench engine --effects-only on a 2-core machine, one
// tenant: database CPU per execution 259–426 µs with one transaction at a time
// against 463–510 µs with two). Only a full batch (max requests waiting)
// runs beside it, as nothing is split then: advance jobs come from up to
// 200 River workers, more than one batch holds. Runners stay free for the
// other tenants, which take turns: a tenant whose batch ends with
// requests waiting goes to the back of the line.
//
// Like the collector, it waits for nothing: a lone request runs at once.
// When lonely says so of the batch a runner took, the runner waits up to
// linger for more requests of the same tenant before running it.
type tenantQueue[K comparable, R any] struct {
	max      int
	keyOf    func(R) K
	runBatch func([]R)
	// lonely, when set, tells whether a batch is worth waiting for more
	// requests of its tenant, up to linger.
	lonely func([]R) bool
	linger time.Duration

	mu sync.Mutex
	// waiting holds each tenant's requests not taken yet, in arrival
	// order; busy counts each tenant's batches under way (a runner
	// lingering on one counts); ready lists the tenants whose requests may
	// run (eligible when they were listed), in the order they are to run,
	// and listed which tenants it holds.
	waiting map[K][]R
	busy    map[K]int
	ready   []K
	listed  map[K]bool
	// changed is closed, and replaced, when a tenant is listed, when a
	// request arrives while a runner lingers, or when the queue closes:
	// idle and lingering runners wait on it. lingering counts the runners
	// lingering.
	changed   chan struct{}
	lingering int
	closed    bool
	stopped   sync.WaitGroup
}

// newTenantQueue starts runners goroutines that each take up to max
// waiting requests of one tenant (keyOf) at a time and run them with
// runBatch; with lonely set and linger above zero a runner waits up to
// linger for company when lonely says so of its batch.
func newTenantQueue[K comparable, R any](max, runners int, keyOf func(R) K, linger time.Duration, lonely func([]R) bool, runBatch func([]R)) *tenantQueue[K, R] {
	q := &tenantQueue[K, R]{max: max, keyOf: keyOf, runBatch: runBatch,
		waiting: map[K][]R{}, busy: map[K]int{}, listed: map[K]bool{}, changed: make(chan struct{})}
	if lonely != nil && linger > 0 {
		q.lonely, q.linger = lonely, linger
	}
	for range runners {
		q.stopped.Add(1)
		go q.run()
	}
	return q
}

// offer queues r for a runner; false when the queue is closed (the
// caller runs the request on its own). It never blocks: a caller waits
// for its request's outcome, which bounds what waits here.
func (q *tenantQueue[K, R]) offer(r R) bool {
	k := q.keyOf(r)
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.waiting[k] = append(q.waiting[k], r)
	if !q.list(k) && q.lingering > 0 && q.busy[k] > 0 {
		q.signal() // a runner may be lingering on k
	}
	return true
}

// eligible reports whether k's waiting requests may run now: none of its
// batches is under way, or a full batch waits. q.mu is held.
func (q *tenantQueue[K, R]) eligible(k K) bool {
	n := len(q.waiting[k])
	return n > 0 && (q.busy[k] == 0 || n >= q.max)
}

// list puts k at the back of the ready line when it is eligible and not
// there yet, and wakes the runners; it reports whether it did. q.mu is
// held.
func (q *tenantQueue[K, R]) list(k K) bool {
	if q.listed[k] || !q.eligible(k) {
		return false
	}
	q.listed[k] = true
	q.ready = append(q.ready, k)
	q.signal()
	return true
}

// close refuses new requests and returns once the runners have run every
// request taken before it.
func (q *tenantQueue[K, R]) close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.signal()
	}
	q.mu.Unlock()
	q.stopped.Wait()
}

// signal wakes the runners waiting on changed. q.mu is held.
func (q *tenantQueue[K, R]) signal() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// take removes up to n of k's waiting requests and appends them to batch.
// q.mu is held.
func (q *tenantQueue[K, R]) take(k K, batch []R, n int) []R {
	w := q.waiting[k]
	n = min(n, len(w))
	batch = append(batch, w[:n]...)
	if n == len(w) {
		delete(q.waiting, k)
	} else {
		clear(w[:n]) // let the taken requests go once their batch is done
		q.waiting[k] = w[n:]
	}
	return batch
}

// pop removes the first tenant of the ready line that is still eligible
// (a tenant listed for a full batch may have had it taken since); false
// when there is none. q.mu is held.
func (q *tenantQueue[K, R]) pop() (K, bool) {
	for len(q.ready) > 0 {
		k := q.ready[0]
		var zero K
		q.ready[0] = zero
		q.ready = q.ready[1:]
		delete(q.listed, k)
		if q.eligible(k) {
			return k, true
		}
	}
	var zero K
	return zero, false
}

func (q *tenantQueue[K, R]) run() {
	defer q.stopped.Done()
	for {
		k, batch, ok := q.next()
		if !ok {
			return
		}
		q.runBatch(batch)
		q.mu.Lock()
		if q.busy[k]--; q.busy[k] == 0 {
			delete(q.busy, k)
		}
		q.list(k) // its turn again, after the others waiting
		q.mu.Unlock()
	}
}

// next waits for an eligible tenant, counts its batch under way and
// returns the batch (lingering when lonely); false once the queue is
// closed and nothing is ready.
func (q *tenantQueue[K, R]) next() (K, []R, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k, ok := q.pop()
	for !ok {
		if q.closed {
			return k, nil, false
		}
		ch := q.changed
		q.mu.Unlock()
		<-ch
		q.mu.Lock()
		k, ok = q.pop()
	}
	q.busy[k]++
	batch := q.take(k, nil, q.max)
	q.list(k) // another full batch waits: it may run beside this one
	if q.lonely == nil || len(batch) >= q.max || !q.lonely(batch) {
		return k, batch, true
	}
	t := time.NewTimer(q.linger)
	defer t.Stop()
	q.lingering++
	defer func() { q.lingering-- }() // before the deferred unlock
	for len(batch) < q.max && q.lonely(batch) && !q.closed {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
			q.mu.Lock()
			batch = q.take(k, batch, q.max-len(batch))
		case <-t.C:
			q.mu.Lock()
			return k, q.take(k, batch, q.max-len(batch)), true
		}
	}
	return k, batch, true
}
