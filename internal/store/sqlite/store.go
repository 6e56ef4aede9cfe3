// Package sqlite is NextFlow's embedded store: a single SQLite file in WAL
// mode, opened through modernc.org/sqlite (no cgo), with River's SQLite
// driver as the durable job queue.
//
// A Store holds two connection pools on the same file. The writer has
// exactly one connection and begins every transaction IMMEDIATE, so
// read-write transactions (and River, which shares the writer) are
// serialised by the pool instead of failing with SQLITE_BUSY; holding that
// connection is what ExecutionLock relies on. The reader pool is
// query-only and serves Read, so reads never wait behind a writer.
//
// Tenant isolation is enforced in the application: every query of a
// tenant-owned table filters by tenant_id, and a row of another tenant is
// store.ErrNotFound.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	sqlite "modernc.org/sqlite"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

// Queue defaults on SQLite (see store.QueueConfig).
const (
	defaultMaxWorkers        = 50
	defaultFetchCooldown     = 2 * time.Millisecond
	defaultFetchPollInterval = 20 * time.Millisecond
	defaultJobTimeout        = time.Minute
	busyTimeout              = 10 * time.Second
)

// Options configures Open.
type Options struct {
	// Queue tunes the River client; zero values take the SQLite defaults.
	Queue store.QueueConfig
	// Logger receives the store's and River's logs; nil discards them.
	Logger *slog.Logger
	// Monitor times and names every query and job (store.QueryMonitor);
	// nil still counts queries in the context's store.QueryScope.
	Monitor *store.QueryMonitor
}

// Store is a NextFlow database in one SQLite file. It implements
// store.Store.
type Store struct {
	writer  *sql.DB
	reader  *sql.DB
	queries *dbsqlc.Queries
	logger  *slog.Logger
	queue   *queue
	// monitor counts what write transactions commit (QueryMonitor.WrapTx).
	monitor *store.QueryMonitor
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the SQLite database file at path and
// builds its River client. It does not migrate: call Migrate. Only the
// process that opened a Store may use it; several processes may open the
// same file, serialised by SQLite's file lock.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") || strings.Contains(path, "mode=memory") {
		return nil, fmt.Errorf("open sqlite %q: an in-memory database cannot be shared by the writer and the reader pool; use a file", path)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	drv, err := newDriver()
	if err != nil {
		return nil, err
	}
	writer := sql.OpenDB(&stmtCacheConnector{dsn: dsn(path, false), driver: drv, monitor: opts.Monitor})
	// River's SQLite driver and IMMEDIATE transactions want one connection:
	// the pool is the write lock.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("open sqlite writer %s: %w", path, err)
	}

	reader := sql.OpenDB(&stmtCacheConnector{dsn: dsn(path, true), driver: drv, monitor: opts.Monitor})
	readers := max(4, runtime.NumCPU())
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	if err := reader.PingContext(ctx); err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, fmt.Errorf("open sqlite reader %s: %w", path, err)
	}

	s := &Store{
		writer:  writer,
		reader:  reader,
		queries: dbsqlc.New(),
		logger:  logger,
		monitor: opts.Monitor,
	}
	q, err := newQueue(riversqlite.New(writer), writer, opts.Queue, logger, opts.Monitor)
	if err != nil {
		_ = s.closeDBs()
		return nil, err
	}
	s.queue = q
	return s, nil
}

// newDriver returns a modernc.org/sqlite driver of the store's own, with the
// SQL functions the store's queries use registered on it alone:
//
//   - unicode_lower(text) lowercases like strings.ToLower (SQLite's lower
//     only knows ASCII), for case-insensitive search.
func newDriver() (*sqlite.Driver, error) {
	drv := &sqlite.Driver{}
	err := drv.RegisterDeterministicScalarFunction("unicode_lower", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return strings.ToLower(v), nil
		case []byte:
			return strings.ToLower(string(v)), nil
		default:
			return v, nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("register unicode_lower: %w", err)
	}
	return drv, nil
}

// dsn builds the modernc.org/sqlite data source name. Every pragma is set
// through the DSN so each pooled connection gets it.
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(NORMAL)")
	// Times are written as "2006-01-02 15:04:05.999999999-07:00"; the store
	// always writes UTC, so stored times compare correctly as text.
	v.Set("_time_format", "sqlite")
	if readOnly {
		v.Set("_query_only", "1")
	} else {
		v.Set("_txlock", "immediate")
	}
	return path + "?" + v.Encode()
}

// Dialect returns store.DialectSQLite.
func (s *Store) Dialect() string { return store.DialectSQLite }

// InTx runs fn in a read-write (IMMEDIATE) transaction on the writer
// connection. tenantID is informational on SQLite: isolation is enforced by
// every query filtering on tenant_id.
//
// The transaction holds the store's only writer connection until it ends,
// so fn must not start another InTx or call Queue().Insert (either would
// wait for the connection fn holds until ctx ends); insert jobs through
// tx.JobInsert instead. Read is fine inside fn.
func (s *Store) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, s.writer, false, fn)
}

// Read runs fn in a read-only transaction on the reader pool. Job inserts
// and writes fail in it.
func (s *Store) Read(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, s.reader, true, fn)
}

func (s *Store) inTx(ctx context.Context, db *sql.DB, readOnly bool, fn func(tx store.Tx) error) (err error) {
	defer func() { err = markUnavailable(err) }()
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && err == nil {
				err = fmt.Errorf("roll back: %w", rbErr)
			}
		}
	}()
	t := &tx{store: s, tx: sqlTx, q: s.queries, readOnly: readOnly}
	var ftx store.Tx = t
	if !readOnly {
		ftx = s.monitor.WrapTx(t)
	}
	if err := fn(ftx); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	committed = true
	for _, after := range t.after {
		after(ctx)
	}
	return nil
}

// Ping checks both pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if err := s.reader.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite reader: %w", err)
	}
	return nil
}

// Queue returns the store's River client.
func (s *Store) Queue() store.Queue { return s.queue }

// Close stops the queue if it runs (cancelling jobs still running after a
// few seconds) and closes both pools.
func (s *Store) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stopErr := s.queue.Stop(ctx)
	return errors.Join(stopErr, s.closeDBs())
}

func (s *Store) closeDBs() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}

// River returns the underlying River client, for wiring that needs more than
// store.Queue (periodic jobs, job listing in tests).
func (s *Store) River() *river.Client[*sql.Tx] { return s.queue.client }
