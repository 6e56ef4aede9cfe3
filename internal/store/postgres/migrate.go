package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/nextflow-dev/nextflow/internal/store"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// gooseTable is goose's version table, found through the search_path.
const gooseTable = "goose_db_version"

func (s *Store) gooseProvider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFS, "migration")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithTableName(gooseTable),
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func (s *Store) riverMigrator() (*rivermigrate.Migrator[pgx.Tx], error) {
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{
		Logger: s.logger,
		Schema: s.schema,
	})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	return m, nil
}

// Migrate applies NextFlow's and River's pending migrations. It holds a
// session advisory lock (one per schema) while it works, so processes that
// migrate at once take turns and all but the first find nothing to do.
func (s *Store) Migrate(ctx context.Context) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	key := s.migrateLockKey()
	if err := takeMigrateLock(ctx, conn, key); err != nil {
		return err
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key); uerr != nil {
			// Closing the connection releases the lock as well.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("migrate: release advisory lock: %w", uerr))
		}
	}()

	if s.schema != "" {
		// Create the schema only when missing: CREATE SCHEMA IF NOT EXISTS
		// needs the CREATE privilege on the database even when it exists.
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.schema).Scan(&exists); err != nil {
			return fmt.Errorf("migrate: look up schema %s: %w", s.schema, err)
		}
		if !exists {
			if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return fmt.Errorf("migrate: create schema %s: %w", s.schema, err)
			}
		}
	}
	p, err := s.gooseProvider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m, err := s.riverMigrator()
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return s.registerSystemTokens(ctx)
}

// MigrationStatus reports NextFlow's applied and latest migration versions
// and whether River's migrations are all applied.
func (s *Store) MigrationStatus(ctx context.Context) (store.MigrationStatus, error) {
	var st store.MigrationStatus
	p, err := s.gooseProvider()
	if err != nil {
		return st, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		st.Latest = sources[len(sources)-1].Version
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", gooseTable).Scan(&exists); err != nil {
		return st, fmt.Errorf("migration status: %w", err)
	}
	if exists {
		st.Current, err = p.GetDBVersion(ctx)
		if err != nil {
			return st, fmt.Errorf("migration status: %w", err)
		}
	}
	m, err := s.riverMigrator()
	if err != nil {
		return st, err
	}
	res, err := m.Validate(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("migration status: river: %w", err)
	}
	st.RiverOK = res.OK
	st.UpToDate = st.Current == st.Latest && st.RiverOK
	return st, nil
}

// takeMigrateLock takes the session advisory lock key, polling with
// pg_try_advisory_lock rather than waiting in pg_advisory_lock: a session
// blocked in pg_advisory_lock is a transaction in progress, which a
// migration's CREATE INDEX CONCURRENTLY, run by the lock's holder, waits
// for — a deadlock PostgreSQL does not detect, which left every process
// migrating at once stuck for good. Between tries no transaction is open.
func takeMigrateLock(ctx context.Context, conn *pgxpool.Conn, key int64) error {
	wait := 10 * time.Millisecond
	for {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
			return fmt.Errorf("migrate: take advisory lock: %w", err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: wait for another process's migration: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, 250*time.Millisecond)
	}
}
