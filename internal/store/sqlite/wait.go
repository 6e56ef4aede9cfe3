package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func waitFromRow(r dbsqlc.Wait) *domain.Wait {
	return &domain.Wait{
		ID:               r.ID,
		TenantID:         r.TenantID,
		ExecutionID:      r.ExecutionID,
		NodeID:           r.NodeID,
		Token:            r.Token,
		EventName:        r.EventName,
		ContactID:        uuidPtr(r.ContactID),
		CorrelationKey:   r.CorrelationKey,
		CorrelationValue: r.CorrelationValue,
		ExpiresAt:        timePtr(r.ExpiresAt),
		CreatedAt:        r.CreatedAt.UTC(),
	}
}

// WaitInsert registers an execution's wait for an event.
func (t *tx) WaitInsert(ctx context.Context, p *store.WaitInsertParams) (*domain.Wait, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.WaitInsert(ctx, t.tx, &dbsqlc.WaitInsertParams{
		ID:               id,
		TenantID:         p.TenantID,
		ExecutionID:      p.ExecutionID,
		NodeID:           p.NodeID,
		Token:            p.Token,
		EventName:        p.EventName,
		ContactID:        nullUUID(p.ContactID),
		CorrelationKey:   p.CorrelationKey,
		CorrelationValue: p.CorrelationValue,
		ExpiresAt:        nullTime(p.ExpiresAt),
		Now:              now(),
	})
	if err != nil {
		return nil, wrap(err, "insert wait of execution %s for %q", p.ExecutionID, p.EventName)
	}
	return waitFromRow(r), nil
}

// WaitListByEvent returns the waits an event resumes, oldest first
// (default 1000, at most 10000): the tenant's waits for the event name whose contact (when
// set) is the event's and whose correlation key (when set) names an event
// property equal to the wait's correlation value.
func (t *tx) WaitListByEvent(ctx context.Context, p *store.WaitListByEventParams) ([]domain.Wait, error) {
	pairs, _ := p.CorrelationPairs()
	pairsJSON, err := json.Marshal(pairs)
	if err != nil {
		return nil, fmt.Errorf("encode correlation of %q: %w", p.EventName, err)
	}
	rows, err := t.q.WaitListByEvent(ctx, t.tx, &dbsqlc.WaitListByEventParams{
		TenantID:         p.TenantID,
		EventName:        p.EventName,
		ContactID:        nullUUID(p.ContactID),
		CorrelationValue: p.CorrelationValue,
		CorrelationPairs: string(pairsJSON),
		Max:              limit(p.Limit, 1000, 10000),
	})
	if err != nil {
		return nil, wrap(err, "list waits for %q", p.EventName)
	}
	out := make([]domain.Wait, 0, len(rows))
	for _, r := range rows {
		out = append(out, *waitFromRow(r))
	}
	return out, nil
}

// WaitDeleteByExecution deletes an execution's waits; none is not an error.
func (t *tx) WaitDeleteByExecution(ctx context.Context, tenantID, executionID uuid.UUID) error {
	_, err := t.q.WaitDeleteByExecution(ctx, t.tx, &dbsqlc.WaitDeleteByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	return wrap(err, "delete waits of execution %s", executionID)
}
