package sqlite

import (
	"context"
	"fmt"
)

// Analyze refreshes the planner's statistics (benchmarks call it after
// seeding, see the PostgreSQL store's Analyze).
func (s *Store) Analyze(ctx context.Context) error {
	if _, err := s.writer.ExecContext(ctx, "ANALYZE"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}
