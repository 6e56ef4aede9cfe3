package engine

import (
	"context"
	"sync"
)

// collector is the mechanism of the start group commit (startbatch.go)
// and of ingest's: a few runner goroutines, each taking the requests
// waiting when it is free (up to max) and handing them to runBatch as one
// batch. It waits for nothing, so a lone request runs at once, and under
// load the requests that arrive while the runners commit form the next
// batches. (The advance group commit keeps one batch per tenant under way:
// tenantQueue.)
type collector[R any] struct {
	max      int
	reqs     chan R
	stop     chan struct{}
	stopped  sync.WaitGroup
	once     sync.Once
	runBatch func([]R)
}

// newCollector starts runners goroutines that each take up to max waiting
// requests at a time and run them with runBatch.
func newCollector[R any](max, runners int, runBatch func([]R)) *collector[R] {
	c := &collector[R]{max: max, reqs: make(chan R), stop: make(chan struct{}), runBatch: runBatch}
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

// gather waits for a request and returns it with those waiting behind
// it; false when the collector stopped first.
func (c *collector[R]) gather() ([]R, bool) {
	var first R
	select {
	case first = <-c.reqs:
	case <-c.stop:
		return nil, false
	}
	return c.drain([]R{first}), true
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
