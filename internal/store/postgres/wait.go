package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toWait(r dbsqlc.Wait) *domain.Wait {
	return &domain.Wait{
		ID:               r.ID,
		TenantID:         r.TenantID,
		ExecutionID:      r.ExecutionID,
		NodeID:           r.NodeID,
		Token:            r.Token,
		EventName:        r.EventName,
		ContactID:        r.ContactID,
		CorrelationKey:   r.CorrelationKey,
		CorrelationValue: r.CorrelationValue,
		ExpiresAt:        utcPtr(r.ExpiresAt),
		CreatedAt:        utc(r.CreatedAt),
	}
}

// WaitInsert registers a wait for an event.
func (t *tx) WaitInsert(ctx context.Context, p *store.WaitInsertParams) (*domain.Wait, error) {
	r, err := t.q.WaitInsert(ctx, dbsqlc.WaitInsertParams{
		ID:               newID(p.ID),
		TenantID:         p.TenantID,
		ExecutionID:      p.ExecutionID,
		NodeID:           p.NodeID,
		Token:            p.Token,
		EventName:        p.EventName,
		ContactID:        p.ContactID,
		CorrelationKey:   p.CorrelationKey,
		CorrelationValue: p.CorrelationValue,
		ExpiresAt:        p.ExpiresAt,
	})
	if err != nil {
		return nil, translateInsert(err, "insert wait of execution %s", p.ExecutionID)
	}
	return toWait(r), nil
}

// WaitListByEvent returns the waits an event resumes.
func (t *tx) WaitListByEvent(ctx context.Context, p *store.WaitListByEventParams) ([]domain.Wait, error) {
	pairs, values := p.CorrelationPairs()
	rows, err := t.q.WaitListByEvent(ctx, dbsqlc.WaitListByEventParams{
		TenantID:          p.TenantID,
		EventName:         p.EventName,
		ContactID:         p.ContactID,
		CorrelationValue:  p.CorrelationValue,
		CorrelationValues: values,
		CorrelationPairs:  pairs,
		MaxRows:           limit(p.Limit, bulkDefault, bulkMax),
	})
	if err != nil {
		return nil, translate(err, "list waits for event %q", p.EventName)
	}
	out := make([]domain.Wait, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toWait(r))
	}
	return out, nil
}

// WaitDeleteByExecution deletes an execution's waits (none is not an
// error).
func (t *tx) WaitDeleteByExecution(ctx context.Context, tenantID, executionID uuid.UUID) error {
	_, err := t.q.WaitDeleteByExecution(ctx, dbsqlc.WaitDeleteByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	return translate(err, "delete waits of execution %s", executionID)
}
