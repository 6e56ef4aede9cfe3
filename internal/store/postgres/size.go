package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// relation is a table or an index of the store's schema and its size.
type relation struct {
	Name  string
	Table bool
	Bytes int64
	// Of is the table an index belongs to ("" for a table).
	Of string
	// Live and Dead are a table's live and dead row versions as the
	// statistics last saw them (0 for an index).
	Live, Dead int64
}

// relations lists the tables (heap and TOAST) and indexes of the store's
// schema with their sizes.
func (s *Store) relations(ctx context.Context) ([]relation, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname, c.relkind = 'r',
       CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END,
       coalesce(t.relname, ''), coalesce(st.n_live_tup, 0), coalesce(st.n_dead_tup, 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
WHERE c.relkind IN ('r', 'i') AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("relation sizes: %w", err)
	}
	rels, err := pgx.CollectRows(rows, pgx.RowToStructByPos[relation])
	if err != nil {
		return nil, fmt.Errorf("relation sizes: %w", err)
	}
	return rels, nil
}

// RelationBytes returns the size of each table (heap and TOAST) and of each
// index of the store's schema, by name, for capacity measurements such as
// `nextflow bench waiting`. Their sum is the schema's size.
func (s *Store) RelationBytes(ctx context.Context) (map[string]int64, error) {
	rels, err := s.relations(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rels))
	for _, r := range rels {
		out[r.Name] = r.Bytes
	}
	return out, nil
}

// Compact rewrites every table of the store's schema without its dead row
// versions (VACUUM FULL), so RelationBytes then counts live data only, as a
// long-running database with autovacuum settles to. For benchmarks: it
// locks each table while it runs.
func (s *Store) Compact(ctx context.Context) error {
	rels, err := s.relations(ctx)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	for _, r := range rels {
		if !r.Table {
			continue
		}
		if _, err := s.pool.Exec(ctx, "VACUUM FULL "+pgx.Identifier{r.Name}.Sanitize()); err != nil {
			return fmt.Errorf("vacuum %s: %w", r.Name, err)
		}
	}
	return nil
}
