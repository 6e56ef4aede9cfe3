package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TableBytes returns the total size (heap, indexes, TOAST) of each table of
// the store's schema, for capacity measurements such as `nextflow bench
// waiting`.
func (s *Store) TableBytes(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("table sizes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("table sizes: %w", err)
		}
		out[name] = n
	}
	return out, rows.Err()
}

// Compact rewrites every table of the store's schema without its dead row
// versions (VACUUM FULL), so TableBytes then counts live data only, as a
// long-running database with autovacuum settles to. For benchmarks: it
// locks each table while it runs.
func (s *Store) Compact(ctx context.Context) error {
	names, err := s.TableBytes(ctx)
	if err != nil {
		return err
	}
	for name := range names {
		if _, err := s.pool.Exec(ctx, "VACUUM FULL "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum %s: %w", name, err)
		}
	}
	return nil
}
