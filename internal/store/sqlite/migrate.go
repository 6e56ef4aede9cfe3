package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/nextflow-dev/nextflow/internal/store"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// gooseProvider builds the goose provider of NextFlow's own migrations on
// the writer connection.
func (s *Store) gooseProvider() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFS, "migration")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.writer, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

func (s *Store) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(riversqlite.New(s.writer), &rivermigrate.Config{Logger: s.logger})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	return m, nil
}

// Migrate applies River's pending migrations, then NextFlow's. Each
// migration runs in a transaction on the writer connection. When another
// process migrates the same file at the same time, whichever applies a
// version first wins and the other's attempt rolls back; Migrate then tries
// again and returns once the schema is current.
func (s *Store) Migrate(ctx context.Context) error {
	const attempts = 30
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			if st, stErr := s.MigrationStatus(ctx); stErr == nil && st.UpToDate {
				return nil
			}
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(min(time.Duration(attempt)*50*time.Millisecond, 500*time.Millisecond)):
			}
		}
		if err = s.migrate(ctx); err == nil {
			return nil
		}
	}
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	m, err := s.riverMigrator()
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	p, err := s.gooseProvider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// MigrationStatus reports NextFlow's applied and latest migration versions
// and whether all of River's migrations are applied.
func (s *Store) MigrationStatus(ctx context.Context) (store.MigrationStatus, error) {
	var st store.MigrationStatus
	p, err := s.gooseProvider()
	if err != nil {
		return st, err
	}
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return st, fmt.Errorf("migration versions: %w", err)
	}
	st.Current, st.Latest = current, latest

	m, err := s.riverMigrator()
	if err != nil {
		return st, err
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return st, fmt.Errorf("river migration versions: %w", err)
	}
	all := m.AllVersions()
	applied := make(map[int]bool, len(existing))
	for _, v := range existing {
		applied[v.Version] = true
	}
	st.RiverOK = true
	for _, v := range all {
		if !applied[v.Version] {
			st.RiverOK = false
			break
		}
	}
	st.UpToDate = st.RiverOK && st.Current == st.Latest
	return st, nil
}
