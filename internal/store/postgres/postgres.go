// Package postgres is the PostgreSQL backend of the NextFlow store: a pgx v5
// pool, sqlc-generated queries (dbsqlc), goose migrations embedded from
// migration/, and a River client (riverpgxv5) whose jobs are inserted in the
// same transactions as the rows they continue.
//
// # Row-level security
//
// Every tenant-owned table has row-level security enabled and forced, with a
// policy that admits only rows whose tenant_id equals the transaction's
// nextflow.tenant_id setting (or any row when nextflow.system holds a system
// token the schema owner registered: the uuid.Nil "system" transactions used
// for session, API-key and invitation look-ups, signup and the cross-tenant
// claims; see systemtoken.go). InTx and Read set both at the start of every
// transaction, so a forgotten tenant filter in a query still cannot reach
// another tenant's rows.
//
// Superusers and roles with BYPASSRLS skip every policy. In production run
// migrations as the owner of the schema if you like, but let the application
// connect as an ordinary role, for example:
//
//	CREATE ROLE nextflow_app LOGIN PASSWORD '…' NOSUPERUSER NOBYPASSRLS;
//	GRANT USAGE ON SCHEMA public TO nextflow_app;
//	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO nextflow_app;
//	GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO nextflow_app;
//	REVOKE ALL ON nextflow_system_tokens FROM nextflow_app;
//
// (plus ALTER DEFAULT PRIVILEGES for tables later migrations add). Because
// the policies are FORCEd, even a table owner that is not a superuser is
// subject to them; but an owner may also alter the policies and register a
// system token of its own, so serve as a role that owns nothing. Every
// process must share NEXTFLOW_SECRET_KEY, whose system token `nextflow
// migrate up` (as the owner) registers. WarnRole reports, at every start, a
// role that skips the policies or could open the system scope.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// Queue defaults on PostgreSQL (see DESIGN.md, "The store/queue seam").
const (
	DefaultMaxWorkers        = 200
	DefaultFetchCooldown     = 2 * time.Millisecond
	DefaultFetchPollInterval = 20 * time.Millisecond
	DefaultJobTimeout        = time.Minute
	// DefaultMaxConns is the smallest connection pool Open builds when the
	// URL has no pool_max_conns.
	DefaultMaxConns = 16
)

// Options configures Open.
type Options struct {
	// Queue tunes the River client; zero values take NextFlow's defaults.
	Queue store.QueueConfig
	// Logger receives River's and the migrator's logs; nil discards them.
	Logger *slog.Logger
	// Schema, when set, holds NextFlow's and River's tables: it is put on
	// the search_path of every pooled connection and given to River. Tests
	// use it to give each test a fresh schema. Migrate creates it when it
	// does not exist.
	Schema string
	// SystemTokens prove this process's system transactions to the
	// row-level-security policies (SystemToken of NEXTFLOW_SECRET_KEY, then
	// of the previous keys during a rotation); Migrate registers them. Every
	// process sharing the database must share the first one. Empty draws a
	// token for a store that stands alone.
	SystemTokens []string
	// Monitor times and names every query and job (store.QueryMonitor);
	// nil still counts queries in the context's store.QueryScope.
	Monitor *store.QueryMonitor
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool   *pgxpool.Pool
	db     *sql.DB
	client *river.Client[pgx.Tx]
	queue  *queue
	schema string
	logger *slog.Logger
	// systemTokens: the first is set in system transactions; Migrate
	// registers all.
	systemTokens []string
	// monitor counts what write transactions commit (QueryMonitor.WrapTx).
	monitor *store.QueryMonitor
}

var _ store.Store = (*Store)(nil)

// Open connects to databaseURL (postgres://…) and builds the store's River
// client. It does not migrate: call Migrate.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	if opts.Schema != "" && !schemaName.MatchString(opts.Schema) {
		return nil, fmt.Errorf("open postgres: schema %q: want lower-case letters, digits and underscores", opts.Schema)
	}
	tokens, err := systemTokens(opts.SystemTokens)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: parse database URL: %w", err)
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		// The batch statements rely on PostgreSQL weighing a generic plan
		// against the plans made for each call (customPlanOnly); a server
		// set to force_generic_plan would skip that. The URL may still set
		// it.
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "auto"
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) starves River's
		// workers, each of which holds a connection while it advances an
		// execution; pool_max_conns in the URL overrides this.
		cfg.MaxConns = int32(max(DefaultMaxConns, 4*runtime.NumCPU()))
	}
	// Migrate holds one connection for its advisory lock while goose uses
	// another.
	cfg.MaxConns = max(cfg.MaxConns, 4)
	cfg.AfterConnect = registerUUID
	cfg.ConnConfig.Tracer = &queryTracer{monitor: opts.Monitor}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if opts.Queue.NodeID == "" {
		opts.Queue.NodeID = store.NewNodeID()
	}
	client, err := newRiverClient(pool, opts.Queue, opts.Schema, logger, opts.Monitor)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{
		pool:   pool,
		db:     stdlib.OpenDBFromPool(pool),
		client: client,
		schema: opts.Schema,
		logger: logger,

		systemTokens: tokens,
		monitor:      opts.Monitor,
	}
	s.queue = newQueue(client, pool, opts.Queue, logger)
	return s, nil
}

func newRiverClient(pool *pgxpool.Pool, qc store.QueueConfig, schema string, logger *slog.Logger, monitor *store.QueryMonitor) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{
		ID:     qc.NodeID,
		Logger: logger,
		Schema: schema,
		// See store.DefaultCompletedRetention.
		CompletedJobRetentionPeriod: store.DefaultCompletedRetention,
		// Future jobs are picked up within a fetch poll of their time; every
		// job counts its queries in a scope of its own.
		Middleware: append([]rivertype.Middleware{&store.PreciseScheduling{}, monitor.JobMiddleware()}, qc.Middleware...),
	}
	if !qc.WorkNone {
		maxWorkers := qc.MaxWorkers
		if maxWorkers <= 0 {
			maxWorkers = DefaultMaxWorkers
		}
		cfg.FetchCooldown = qc.FetchCooldown
		if cfg.FetchCooldown <= 0 {
			cfg.FetchCooldown = DefaultFetchCooldown
		}
		cfg.FetchPollInterval = qc.FetchPollInterval
		if cfg.FetchPollInterval <= 0 {
			cfg.FetchPollInterval = DefaultFetchPollInterval
		}
		cfg.JobTimeout = qc.JobTimeout
		if cfg.JobTimeout <= 0 {
			cfg.JobTimeout = DefaultJobTimeout
		}
		if qc.CompletedRetention > 0 {
			cfg.CompletedJobRetentionPeriod = qc.CompletedRetention
		}
		cfg.CancelledJobRetentionPeriod = qc.CancelledRetention
		cfg.DiscardedJobRetentionPeriod = qc.DiscardedRetention
		cfg.PeriodicJobs = qc.PeriodicJobs
		if qc.ReindexEvery > 0 {
			cfg.ReindexerSchedule = river.PeriodicInterval(qc.ReindexEvery)
		}
		cfg.RescueStuckJobsAfter = qc.RescueAfter
		if cfg.RescueStuckJobsAfter <= cfg.JobTimeout {
			cfg.RescueStuckJobsAfter = store.RescueAfterFor(cfg.JobTimeout)
		}
		cfg.Queues = map[string]river.QueueConfig{}
		for name, n := range qc.Queues {
			if n <= 0 {
				n = maxWorkers
			}
			cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
		if len(cfg.Queues) == 0 {
			cfg.Queues[river.QueueDefault] = river.QueueConfig{MaxWorkers: maxWorkers}
		}
		// River reads the bundle when it works a job, so workers added to
		// it after Open and before Start are found.
		cfg.Workers = qc.Workers
		if cfg.Workers == nil {
			cfg.Workers = river.NewWorkers()
		}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: river client: %w", err)
	}
	return client, nil
}

// Dialect returns store.DialectPostgres.
func (s *Store) Dialect() string { return store.DialectPostgres }

// Pool returns the underlying pgx pool (for benchmarks and tools).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// River returns the store's River client.
func (s *Store) River() *river.Client[pgx.Tx] { return s.client }

// Queue returns the River-backed job queue.
func (s *Store) Queue() store.Queue { return s.queue }

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return markUnavailable(ctx, fmt.Errorf("ping postgres: %w", err))
	}
	return nil
}

// Close stops the River client if it was started and closes the pool.
func (s *Store) Close() error {
	if s.queue.started() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.queue.Stop(ctx); err != nil {
			s.logger.Warn("stop river client", "error", err)
		}
	}
	err := s.db.Close()
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("close postgres: %w", err)
	}
	return nil
}

// InTx runs fn in a read-write transaction scoped to tenantID; uuid.Nil runs
// it as the system (see the package documentation on row-level security).
func (s *Store) InTx(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.run(ctx, tenantID, false, fn)
}

// Read runs fn in a read-only transaction scoped to tenantID.
func (s *Store) Read(ctx context.Context, tenantID uuid.UUID, fn func(tx store.Tx) error) error {
	return s.run(ctx, tenantID, true, fn)
}

// beginQuery opens the transaction and sets its row-level-security scope in
// one round trip (pgx sends a query without arguments through the simple
// protocol, which allows several statements). The tenant ID is a formatted
// UUID and the system token hex (systemTokenForm), so both are safe to
// inline.
func beginQuery(tenantID uuid.UUID, readOnly bool, systemToken string) string {
	mode := "READ WRITE"
	if readOnly {
		mode = "READ ONLY"
	}
	tenant, system := tenantID.String(), ""
	if tenantID == uuid.Nil {
		tenant, system = "", systemToken
	}
	return "BEGIN ISOLATION LEVEL READ COMMITTED " + mode +
		"; SELECT set_config('nextflow.tenant_id', '" + tenant + "', true), set_config('nextflow.system', '" + system + "', true)"
}

func (s *Store) run(ctx context.Context, tenantID uuid.UUID, readOnly bool, fn func(tx store.Tx) error) (err error) {
	defer func() { err = markUnavailable(ctx, err) }()
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginQuery(tenantID, readOnly, s.systemTokens[0])})
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// fn panicked or returned an error: roll back even when ctx
			// has ended.
			if rbErr := ptx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
				s.logger.Warn("roll back transaction", "error", rbErr)
			}
		}
	}()
	t := &tx{tx: ptx, q: dbsqlc.New(ptx), client: s.client}
	var ftx store.Tx = t
	if !readOnly {
		ftx = s.monitor.WrapTx(t)
	}
	if err := fn(ftx); err != nil {
		return err
	}
	done = true
	if readOnly {
		// Nothing to commit; a failed statement that fn chose to ignore
		// does not turn into a commit error, as on SQLite.
		if err := ptx.Rollback(ctx); err != nil {
			return fmt.Errorf("end read-only transaction: %w", err)
		}
	} else if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	for _, after := range t.after {
		after(ctx)
	}
	return nil
}

// migrateLockKey is the advisory lock Migrate holds, one per schema so that
// tests migrating their own schemas do not wait for each other.
func (s *Store) migrateLockKey() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("nextflow.migrate." + s.schema))
	return int64(h.Sum64())
}
