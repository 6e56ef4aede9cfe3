package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toOutbox(r dbsqlc.Outbox) *domain.OutboxEntry {
	return &domain.OutboxEntry{
		ID:             r.ID,
		TenantID:       r.TenantID,
		ExecutionID:    r.ExecutionID,
		StepID:         r.StepID,
		IdempotencyKey: r.IdempotencyKey,
		Kind:           r.Kind,
		Status:         domain.OutboxStatus(r.Status),
		Attempts:       int(r.Attempts),
		AttemptedAt:    utcPtr(r.AttemptedAt),
		Request:        rawJSON(r.Request),
		Response:       rawJSON(r.Response),
		Error:          r.Error,
		CreatedAt:      utc(r.CreatedAt),
		UpdatedAt:      utc(r.UpdatedAt),
	}
}

// OutboxInsert records a side effect before it is performed; an existing
// key returns the existing entry and created=false.
func (t *tx) OutboxInsert(ctx context.Context, p *store.OutboxInsertParams) (*domain.OutboxEntry, bool, error) {
	r, err := t.q.OutboxInsert(ctx, dbsqlc.OutboxInsertParams{
		ID:             newID(p.ID),
		TenantID:       p.TenantID,
		ExecutionID:    p.ExecutionID,
		StepID:         p.StepID,
		IdempotencyKey: p.IdempotencyKey,
		Kind:           p.Kind,
		Request:        store.StorableJSON(p.Request),
	})
	if err == nil {
		return toOutbox(r), true, nil
	}
	err = translate(err, "insert outbox entry %q", p.IdempotencyKey)
	if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	// ON CONFLICT DO NOTHING returned no row: the key is taken.
	e, err := t.OutboxGetByKey(ctx, p.TenantID, p.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	return e, false, nil
}

// OutboxGetByKey loads an outbox entry by its idempotency key.
func (t *tx) OutboxGetByKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.OutboxEntry, error) {
	r, err := t.q.OutboxGetByKey(ctx, dbsqlc.OutboxGetByKeyParams{TenantID: tenantID, IdempotencyKey: key})
	if err != nil {
		return nil, translate(err, "get outbox entry %q", key)
	}
	return toOutbox(r), nil
}

// OutboxUpdate records a side effect's result.
func (t *tx) OutboxUpdate(ctx context.Context, p *store.OutboxUpdateParams) error {
	n, err := t.q.OutboxUpdate(ctx, dbsqlc.OutboxUpdateParams{
		TenantID: p.TenantID,
		ID:       p.ID,
		Status:   string(p.Status),
		Attempts: int32(p.Attempts),
		Response: store.StorableJSON(p.Response),
		Error:    store.StorableText(p.Error),
	})
	return affected(n, err, "update outbox entry %s", p.ID)
}

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
