package postgres

import (
	"context"
	"fmt"
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
