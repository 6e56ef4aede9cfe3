package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// timedRows reports its query to the store's QueryMonitor when closed, so
// a query's time includes reading its rows (as on PostgreSQL), with the
// first error Next met.
type timedRows struct {
	driver.Rows
	err  error
	done func(err error)
}

// Next reads the next row, keeping the first error other than io.EOF.
func (r *timedRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err != nil && r.err == nil && !errors.Is(err, io.EOF) {
		r.err = err
	}
	return err
}

// Close closes the rows and reports the query once.
func (r *timedRows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done(errors.Join(r.err, err))
		r.done = nil
	}
	return err
}

// ColumnTypeDatabaseTypeName passes the declared column type through.
func (r *timedRows) ColumnTypeDatabaseTypeName(index int) string {
	if ct, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return ct.ColumnTypeDatabaseTypeName(index)
	}
	return ""
}

// PoolStats reports the writer and the reader pool (store.PoolReporter).
func (s *Store) PoolStats() []store.PoolStats {
	out := make([]store.PoolStats, 0, 2)
	for _, p := range []struct {
		name string
		db   *sql.DB
	}{{"writer", s.writer}, {"reader", s.reader}} {
		st := p.db.Stats()
		out = append(out, store.PoolStats{
			Pool: p.name, MaxOpen: st.MaxOpenConnections, Open: st.OpenConnections, InUse: st.InUse, Idle: st.Idle,
			WaitCount: st.WaitCount, WaitDuration: st.WaitDuration,
		})
	}
	return out
}

// QueueDepth counts the jobs of each queue (store.QueueDepthReporter).
func (s *Store) QueueDepth(ctx context.Context) ([]store.QueueDepth, error) {
	return store.QueueDepthOf(ctx, s.queue.client, "")
}
