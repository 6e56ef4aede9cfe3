package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/store"
)

var _ store.SizeReporter = (*Store)(nil)

// DatabaseSize measures the store's schema: the size of its tables and
// indexes, and the rows of store.SizeTables. The counts are exact (a scan
// of each table): for benchmarks, not for a hot path. The table names are
// constants; sqlc cannot take a table name as a parameter.
func (s *Store) DatabaseSize(ctx context.Context) (*store.DatabaseSize, error) {
	rels, err := s.relations(ctx)
	if err != nil {
		return nil, err
	}
	out := &store.DatabaseSize{Rows: make(map[string]int64, len(store.SizeTables)), Relations: make([]store.RelationSize, 0, len(rels))}
	for _, r := range rels {
		out.Bytes += r.Bytes
		out.Relations = append(out.Relations, store.RelationSize{Name: r.Name, Index: !r.Table, Of: r.Of,
			Bytes: r.Bytes, LiveRows: r.Live, DeadRows: r.Dead})
	}
	// Another session's long transaction holds back what vacuum may remove.
	var oldest float64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(extract(epoch FROM max(now() - xact_start)), 0)::float8
FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)`).Scan(&oldest); err != nil {
		return nil, fmt.Errorf("oldest transaction: %w", err)
	}
	out.OldestXact = time.Duration(oldest * float64(time.Second))
	// Every tenant's rows: a system transaction (row-level security).
	err = s.Read(ctx, uuid.Nil, func(stx store.Tx) error {
		t := stx.(*tx)
		for _, table := range store.SizeTables {
			var n int64
			if err := t.tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
				return fmt.Errorf("count rows of %s: %w", table, err)
			}
			out.Rows[table] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var _ store.Vacuumer = (*Store)(nil)

// AutovacuumOn reports the server's autovacuum setting.
func (s *Store) AutovacuumOn(ctx context.Context) (bool, error) {
	var on string
	if err := s.pool.QueryRow(ctx, "SHOW autovacuum").Scan(&on); err != nil {
		return false, fmt.Errorf("show autovacuum: %w", err)
	}
	return on == "on", nil
}

// Vacuum runs a plain VACUUM on each table of the store's schema, as
// autovacuum would: dead rows' space becomes reusable, the files keep
// their size.
func (s *Store) Vacuum(ctx context.Context) error {
	rels, err := s.relations(ctx)
	if err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	for _, r := range rels {
		if !r.Table {
			continue
		}
		if _, err := s.pool.Exec(ctx, "VACUUM "+pgx.Identifier{r.Name}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum %s: %w", r.Name, err)
		}
	}
	return nil
}
