package store

import (
	"context"
	"time"
)

// PoolStats describes one connection pool of a store (for metrics).
type PoolStats struct {
	// Pool names the pool: "pgxpool" on PostgreSQL, "writer" and "reader"
	// on SQLite.
	Pool string
	// MaxOpen is the pool's limit; Open the connections it holds, InUse
	// those lent out, Idle those waiting.
	MaxOpen, Open, InUse, Idle int
	// WaitCount is how many times a caller waited for a connection, and
	// WaitDuration how long in total, since the pool opened.
	WaitCount    int64
	WaitDuration time.Duration
}

// PoolReporter is implemented by stores that report their connection
// pools (both backends).
type PoolReporter interface {
	PoolStats() []PoolStats
}

// QueueDepth is how many jobs of one queue are available (due, waiting
// for a worker) and running.
type QueueDepth struct {
	Queue     string
	Available int64
	Running   int64
}

// QueueDepthReporter is implemented by stores that can count their
// queue's jobs (both backends).
type QueueDepthReporter interface {
	QueueDepth(ctx context.Context) ([]QueueDepth, error)
}
