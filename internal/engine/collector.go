package engine

import (
	"context"
	"sync"
	"time"
)

// collector is the mechanism both group commits share (advances in
// batch.go, starts in startbatch.go): a few runner goroutines, each taking
// the requests waiting when it is free (up to max) and handing them to
// runBatch as one batch. It waits for nothing, so a lone request runs at
// once, and under load the requests that arrive while the runners commit
// form the next batches.
//
// A lingering collector (newLingeringCollector) may instead wait a little
// for company: a runner whose batch is lonely waits up to linger for more
// requests, and one runner gathers at a time, so that the requests
// arriving meanwhile join its batch rather than start batches of their own.
type collector[R any] struct {
	max      int
	reqs     chan R
	stop     chan struct{}
	stopped  sync.WaitGroup
	once     sync.Once
	runBatch func([]R)
	// lonely, when set, tells whether a batch is worth waiting for more
	// requests, up to linger; gathering is then held by the runner
	// gathering a batch.
	lonely    func([]R) bool
	linger    time.Duration
	gathering sync.Mutex
}

// newCollector starts runners goroutines that each take up to max waiting
// requests at a time and run them with runBatch.
func newCollector[R any](max, runners int, runBatch func([]R)) *collector[R] {
	return newLingeringCollector(max, runners, 0, nil, runBatch)
}

// newLingeringCollector is newCollector whose runners, when lonely says
// so of the batch they took, wait up to linger for more requests before
// running it (lonely nil or linger 0: never).
func newLingeringCollector[R any](max, runners int, linger time.Duration, lonely func([]R) bool, runBatch func([]R)) *collector[R] {
	c := &collector[R]{max: max, reqs: make(chan R), stop: make(chan struct{}), runBatch: runBatch}
	if lonely != nil && linger > 0 {
		c.lonely, c.linger = lonely, linger
	}
	for range runners {
		c.stopped.Add(1)
		go c.run()
	}
	return c
}

// close stops the runners; offers made after it are refused.
func (c *collector[R]) close() {
	c.once.Do(func() { close(c.stop) })
	c.stopped.Wait()
}

// offer hands r to a runner. It returns false when the collector is
// stopped (the caller runs the request on its own), and ctx's error when
// ctx ends before a runner takes r.
func (c *collector[R]) offer(ctx context.Context, r R) (bool, error) {
	select {
	case c.reqs <- r:
		return true, nil
	case <-c.stop:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (c *collector[R]) run() {
	defer c.stopped.Done()
	for {
		batch, ok := c.gather()
		if !ok {
			return
		}
		c.runBatch(batch)
	}
}

// gather waits for a request and returns it with those waiting behind it
// (and, lingering, those arriving within linger while the batch is
// lonely); false when the collector stopped first.
func (c *collector[R]) gather() ([]R, bool) {
	if c.lonely != nil {
		c.gathering.Lock()
		defer c.gathering.Unlock()
	}
	var first R
	select {
	case first = <-c.reqs:
	case <-c.stop:
		return nil, false
	}
	batch := c.drain([]R{first})
	if c.lonely == nil || len(batch) >= c.max || !c.lonely(batch) {
		return batch, true
	}
	t := time.NewTimer(c.linger)
	defer t.Stop()
	for len(batch) < c.max && c.lonely(batch) {
		select {
		case r := <-c.reqs:
			batch = c.drain(append(batch, r))
		case <-t.C:
			return batch, true
		case <-c.stop:
			return batch, true
		}
	}
	return batch, true
}

// drain adds to batch the requests waiting, up to max.
func (c *collector[R]) drain(batch []R) []R {
	for len(batch) < c.max {
		select {
		case r := <-c.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// Collector is the same mechanism for group commits outside the engine
// (ingest's events group commit): runners goroutines, each taking the
// requests waiting when it is free (up to max) as one batch.
type Collector[R any] struct{ c *collector[R] }

// NewCollector starts runners goroutines that each take up to max waiting
// requests at a time and run them with runBatch.
func NewCollector[R any](max, runners int, runBatch func([]R)) *Collector[R] {
	return &Collector[R]{c: newCollector(max, runners, runBatch)}
}

// Offer hands r to a runner. It returns false when the collector is
// closed (the caller runs the request on its own), and ctx's error when
// ctx ends before a runner takes r.
func (c *Collector[R]) Offer(ctx context.Context, r R) (bool, error) { return c.c.offer(ctx, r) }

// Close stops the runners once their batches are done; offers made after
// it are refused.
func (c *Collector[R]) Close() { c.c.close() }
