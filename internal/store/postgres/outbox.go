package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// OutboxAttempt counts one more attempt of an entry and returns the count.
func (t *tx) OutboxAttempt(ctx context.Context, tenantID, id uuid.UUID) (int, error) {
	n, err := t.q.OutboxAttempt(ctx, dbsqlc.OutboxAttemptParams{TenantID: tenantID, ID: id})
	if err != nil {
		return 0, translate(err, "count attempt of outbox entry %s", id)
	}
	return int(n), nil
}

// OutboxListByExecution returns an execution's outbox entries, oldest first.
func (t *tx) OutboxListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]*domain.OutboxEntry, error) {
	rows, err := t.q.OutboxListByExecution(ctx, dbsqlc.OutboxListByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	if err != nil {
		return nil, translate(err, "list outbox entries of execution %s", executionID)
	}
	out := make([]*domain.OutboxEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, toOutbox(r))
	}
	return out, nil
}
