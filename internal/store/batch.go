package store

import (
	"fmt"

	"github.com/google/uuid"
)

// OneTenant checks that every item of a batch belongs to the tenant of the
// first: the batch methods (StepInsertMany, ExecutionUpdateMany…) write in
// one tenant's transaction.
func OneTenant[T any](items []T, tenant func(T) uuid.UUID) error {
	for _, it := range items {
		if tenant(it) != tenant(items[0]) {
			return fmt.Errorf("one tenant per batch, got %s and %s", tenant(items[0]), tenant(it))
		}
	}
	return nil
}
