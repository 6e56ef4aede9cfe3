package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// RetentionStore prunes a tenant's oldest finished history in bounded
// batches (internal/retention). Each Prune call is one batch: run it in a
// short transaction of its own, and call again while it returns a full
// batch. The Count methods report what the batches would remove before the
// same time, for a dry run.
type RetentionStore interface {
	// TenantListAfter lists up to limit tenants after afterID in ID order
	// (uuid.Nil: from the start); a system transaction.
	TenantListAfter(ctx context.Context, afterID uuid.UUID, limit int) ([]TenantPlan, error)

	// ExecutionPrune deletes up to limit of the tenant's executions that
	// finished (COMPLETED, FAILED, CANCELLED) before before, oldest first,
	// with their steps, outbox rows, waits and the messages they sent;
	// journey entries naming them keep their row without the execution.
	// Running, waiting and pending executions are never touched.
	ExecutionPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, limit int) (ExecutionPruneCounts, error)
	// ExecutionPruneCount counts what ExecutionPrune would delete before
	// before, all batches together.
	ExecutionPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (ExecutionPruneCounts, error)
	// EventPrune deletes up to limit of the tenant's events that occurred
	// before before, oldest first.
	EventPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, limit int) (int64, error)
	// EventPruneCount counts the tenant's events that occurred before
	// before.
	EventPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (int64, error)
	// AuditPrune deletes up to limit of the tenant's audit entries written
	// before before, oldest first.
	AuditPrune(ctx context.Context, tenantID uuid.UUID, before time.Time, limit int) (int64, error)
	// AuditPruneCount counts the tenant's audit entries written before
	// before.
	AuditPruneCount(ctx context.Context, tenantID uuid.UUID, before time.Time) (int64, error)
}

// TenantPlan is a tenant's ID and plan.
type TenantPlan struct {
	ID   uuid.UUID
	Plan domain.Plan
}

// ExecutionPruneCounts are the rows an execution prune removed (or would
// remove), by table.
type ExecutionPruneCounts struct {
	Executions int64
	Steps      int64
	Outbox     int64
	Messages   int64
}

// Add returns the sum of c and d.
func (c ExecutionPruneCounts) Add(d ExecutionPruneCounts) ExecutionPruneCounts {
	return ExecutionPruneCounts{
		Executions: c.Executions + d.Executions,
		Steps:      c.Steps + d.Steps,
		Outbox:     c.Outbox + d.Outbox,
		Messages:   c.Messages + d.Messages,
	}
}

// PruneBatchMax is the most rows a Prune call takes (ExecutionPrune
// counts executions; their steps, outbox rows and messages come with them).
const PruneBatchMax = 10_000
