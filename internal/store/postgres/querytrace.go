package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// queryTracer hands every query run on the pool (ours, River's, goose's)
// to the store's QueryMonitor: pgx calls TraceQueryEnd when the rows are
// closed, so a query's time includes reading its rows. Batched queries
// are each timed from the start of their batch.
type queryTracer struct {
	monitor *store.QueryMonitor
}

var (
	_ pgx.QueryTracer = (*queryTracer)(nil)
	_ pgx.BatchTracer = (*queryTracer)(nil)
)

type traceKey struct{}

type traceStart struct {
	sql   string
	start time.Time
}

// TraceQueryStart notes the query and its start.
func (t *queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{sql: data.SQL, start: time.Now()})
}

// TraceQueryEnd records the query.
func (t *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.monitor.QueryDone(ctx, s.sql, s.start, data.Err)
	}
}

// TraceBatchStart notes the batch's start.
func (t *queryTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return context.WithValue(ctx, traceKey{}, traceStart{start: time.Now()})
}

// TraceBatchQuery records one query of the batch.
func (t *queryTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	if s, ok := ctx.Value(traceKey{}).(traceStart); ok {
		t.monitor.QueryDone(ctx, data.SQL, s.start, data.Err)
	}
}

// TraceBatchEnd does nothing: each query was recorded.
func (t *queryTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// PoolStats reports the pgx pool (store.PoolReporter).
func (s *Store) PoolStats() []store.PoolStats {
	st := s.pool.Stat()
	return []store.PoolStats{{
		Pool:         "pgxpool",
		MaxOpen:      int(st.MaxConns()),
		Open:         int(st.TotalConns()),
		InUse:        int(st.AcquiredConns()),
		Idle:         int(st.IdleConns()),
		WaitCount:    st.EmptyAcquireCount(),
		WaitDuration: st.EmptyAcquireWaitTime(),
	}}
}

// QueueDepth counts the jobs of each queue (store.QueueDepthReporter).
func (s *Store) QueueDepth(ctx context.Context) ([]store.QueueDepth, error) {
	return store.QueueDepthOf(ctx, s.client, s.schema)
}
