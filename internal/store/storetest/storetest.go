// Package storetest holds the conformance suite every store backend passes
// (Exercise) and the helpers other packages' tests use to get a fresh,
// migrated store: SQLite, Postgres and Each, which runs a test against both.
package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite"
)

// Option configures a test store.
type Option func(*options)

type options struct {
	// Queue is the River configuration of the store.
	Queue store.QueueConfig
	// Monitor times and names the store's queries and jobs.
	Monitor *store.QueryMonitor
}

// WithQueue opens the store with the queue configuration cfg. When
// cfg.Workers is nil, the store gets a bundle holding the conformance
// suite's own worker, to which the test may add its workers before
// starting the queue.
func WithQueue(cfg store.QueueConfig) Option {
	return func(o *options) { o.Queue = cfg }
}

// WithMonitor opens the store with the query monitor m.
func WithMonitor(m *store.QueryMonitor) Option {
	return func(o *options) { o.Monitor = m }
}

// buildOptions applies opts. A nil Workers bundle is replaced by one holding
// the suite's no-op worker, so every test store can work the jobs Exercise
// inserts once its queue is started.
func buildOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.Queue.Workers == nil {
		o.Queue.Workers = river.NewWorkers()
		river.AddWorker(o.Queue.Workers, &noopWorker{})
	}
	return o
}

// SQLite returns a store on a fresh, migrated SQLite file in t.TempDir(),
// closed when the test ends.
func SQLite(t testing.TB, opts ...Option) store.Store {
	t.Helper()
	return SQLiteStore(t, opts...)
}

// SQLiteStore is SQLite returning the concrete store, for tests of the
// backend itself.
func SQLiteStore(t testing.TB, opts ...Option) *sqlite.Store {
	t.Helper()
	o := buildOptions(opts)
	ctx := context.Background()
	// Migrating takes a while (River's migrations are many); copying a
	// database migrated once per test binary does not.
	template, err := sqliteTemplate()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "nextflow.db")
	require.NoError(t, os.WriteFile(path, template, 0o600))
	s, err := sqlite.Open(ctx, path, sqlite.Options{Queue: o.Queue, Monitor: o.Monitor})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	return s
}

var sqliteTemplateOnce = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "nextflow-storetest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path, sqlite.Options{Queue: store.QueueConfig{WorkNone: true}})
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := s.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
})

// sqliteTemplate returns the bytes of a freshly migrated SQLite database.
func sqliteTemplate() ([]byte, error) {
	b, err := sqliteTemplateOnce()
	if err != nil {
		return nil, fmt.Errorf("migrated sqlite template: %w", err)
	}
	return b, nil
}

// Each runs fn as the subtests "sqlite" and "postgres", each with a fresh,
// migrated store of that backend (the PostgreSQL one skips when no server
// is reachable, or fails under CI=true). fn may call t.Parallel.
func Each(t *testing.T, fn func(t *testing.T, s store.Store), opts ...Option) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t, opts...))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Postgres(t, opts...))
	})
}
