package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// RelationBytes returns the size of each table (heap and TOAST) and of each
// index of the store's schema, by name, for capacity measurements such as
// `nextflow bench waiting`. Their sum is the schema's size.
func (s *Store) RelationBytes(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname,
       CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'i') AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("relation sizes: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, fmt.Errorf("relation sizes: %w", err)
		}
		out[name] = n
	}
	return out, rows.Err()
}

// Compact rewrites every table of the store's schema without its dead row
// versions (VACUUM FULL), so RelationBytes then counts live data only, as a
// long-running database with autovacuum settles to. For benchmarks: it
// locks each table while it runs.
func (s *Store) Compact(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = current_schema()`)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	for _, name := range names {
		if _, err := s.pool.Exec(ctx, "VACUUM FULL "+pgx.Identifier{name}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum %s: %w", name, err)
		}
	}
	return nil
}
