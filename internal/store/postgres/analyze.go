package postgres

import (
	"context"
	"fmt"
)

// Analyze refreshes the planner's statistics of the tables a bulk load
// grows (contacts, events, segment members), as autovacuum would a while
// later: benchmarks call it after seeding so that plans are the ones a
// settled database gets.
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, "ANALYZE contacts, events, segment_members"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
