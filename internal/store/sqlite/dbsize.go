package sqlite

import (
	"context"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/store"
)

var _ store.SizeReporter = (*Store)(nil)

// DatabaseSize measures the database file (page_count × page_size, and
// its free pages) and counts the rows of store.SizeTables. The counts
// are exact (a scan of each table): for benchmarks, not for a hot path.
// The table names are constants; sqlc cannot take a table name as a
// parameter.
func (s *Store) DatabaseSize(ctx context.Context) (*store.DatabaseSize, error) {
	var pages, pageSize, free int64
	for _, q := range []struct {
		pragma string
		dst    *int64
	}{{"page_count", &pages}, {"page_size", &pageSize}, {"freelist_count", &free}} {
		if err := s.reader.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(q.dst); err != nil {
			return nil, fmt.Errorf("database size: %s: %w", q.pragma, err)
		}
	}
	out := &store.DatabaseSize{Bytes: pages * pageSize, FreeBytes: free * pageSize, Rows: make(map[string]int64, len(store.SizeTables))}
	for _, table := range store.SizeTables {
		var n int64
		if err := s.reader.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", table, err)
		}
		out.Rows[table] = n
	}
	return out, nil
}
