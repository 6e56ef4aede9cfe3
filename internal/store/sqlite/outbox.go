package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func outboxFromRow(r dbsqlc.Outbox) *domain.OutboxEntry {
	return &domain.OutboxEntry{
		ID:             r.ID,
		TenantID:       r.TenantID,
		ExecutionID:    r.ExecutionID,
		StepID:         r.StepID,
		IdempotencyKey: r.IdempotencyKey,
		Kind:           r.Kind,
		Status:         domain.OutboxStatus(r.Status),
		Attempts:       int(r.Attempts),
		AttemptedAt:    timePtr(r.AttemptedAt),
		Request:        jsonRaw(r.Request),
		Response:       jsonRaw(r.Response),
		Error:          r.Error,
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
	}
}

// OutboxInsert records a side effect (status PENDING, 0 attempts, 1 when
// p.Counted) before it is performed. When the tenant already has an entry
// with the key, it returns that entry and created=false.
func (t *tx) OutboxInsert(ctx context.Context, p *store.OutboxInsertParams) (*domain.OutboxEntry, bool, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	rows, err := t.q.OutboxInsert(ctx, t.tx, &dbsqlc.OutboxInsertParams{
		ID:             id,
		TenantID:       p.TenantID,
		ExecutionID:    p.ExecutionID,
		StepID:         p.StepID,
		IdempotencyKey: p.IdempotencyKey,
		Kind:           p.Kind,
		Request:        jsonText(store.StorableJSON(p.Request)),
		Now:            now(),
	})
	if err != nil {
		return nil, false, wrap(err, "insert outbox entry %q", p.IdempotencyKey)
	}
	if len(rows) == 1 {
		if !p.Counted {
			return outboxFromRow(rows[0]), true, nil
		}
		if _, err := t.OutboxAttempt(ctx, p.TenantID, id); err != nil {
			return nil, false, err
		}
		e, err := t.OutboxGetByKey(ctx, p.TenantID, p.IdempotencyKey)
		if err != nil {
			return nil, false, err
		}
		return e, true, nil
	}
	existing, err := t.OutboxGetByKey(ctx, p.TenantID, p.IdempotencyKey)
	if err != nil {
		return nil, false, err
	}
	return existing, false, nil
}

// OutboxGetByKey returns a tenant's outbox entry by idempotency key.
func (t *tx) OutboxGetByKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.OutboxEntry, error) {
	r, err := t.q.OutboxGetByKey(ctx, t.tx, &dbsqlc.OutboxGetByKeyParams{TenantID: tenantID, IdempotencyKey: key})
	if err != nil {
		return nil, wrap(err, "get outbox entry %q", key)
	}
	return outboxFromRow(r), nil
}

// OutboxUpdate records a side effect's result.
func (t *tx) OutboxUpdate(ctx context.Context, p *store.OutboxUpdateParams) error {
	n, err := t.q.OutboxUpdate(ctx, t.tx, &dbsqlc.OutboxUpdateParams{
		TenantID: p.TenantID,
		ID:       p.ID,
		Status:   string(p.Status),
		Attempts: int64(p.Attempts),
		Response: jsonText(store.StorableJSON(p.Response)),
		Error:    store.StorableText(p.Error),
		Now:      now(),
	})
	return affected(n, err, "update outbox entry %s", p.ID)
}

// OutboxAttempt counts one more attempt of an entry and returns the count.
func (t *tx) OutboxAttempt(ctx context.Context, tenantID, id uuid.UUID) (int, error) {
	n, err := t.q.OutboxAttempt(ctx, t.tx, &dbsqlc.OutboxAttemptParams{
		Now: sql.NullTime{Time: now(), Valid: true}, TenantID: tenantID, ID: id,
	})
	if err != nil {
		return 0, wrap(err, "count attempt of outbox entry %s", id)
	}
	return int(n), nil
}

// OutboxListByExecution returns an execution's outbox entries, oldest first.
func (t *tx) OutboxListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]*domain.OutboxEntry, error) {
	rows, err := t.q.OutboxListByExecution(ctx, t.tx, &dbsqlc.OutboxListByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	if err != nil {
		return nil, wrap(err, "list outbox entries of execution %s", executionID)
	}
	out := make([]*domain.OutboxEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, outboxFromRow(r))
	}
	return out, nil
}

// OutboxUpdateMany records the outcomes of several entries of one tenant;
// an entry that does not exist is store.ErrNotFound. SQLite runs in
// process: one statement per entry costs no round trip.
func (t *tx) OutboxUpdateMany(ctx context.Context, ps []*store.OutboxUpdateParams) error {
	if err := store.OneTenant(ps, func(p *store.OutboxUpdateParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("update outbox entries: %w", err)
	}
	for _, p := range ps {
		if err := t.OutboxUpdate(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// OutboxAttemptMany counts one more attempt of each of the tenant's
// entries ids and returns the new counts in order; store.ErrNotFound when
// one does not exist.
func (t *tx) OutboxAttemptMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]int, error) {
	out := make([]int, len(ids))
	for i, id := range ids {
		n, err := t.OutboxAttempt(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// OutboxInsertMany records several new entries of one tenant; a key the
// tenant has used already is store.ErrConflict. SQLite runs in process:
// one statement per entry costs no round trip.
func (t *tx) OutboxInsertMany(ctx context.Context, ps []*store.OutboxInsertParams) error {
	if err := store.OneTenant(ps, func(p *store.OutboxInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert outbox entries: %w", err)
	}
	for _, p := range ps {
		_, created, err := t.OutboxInsert(ctx, p)
		if err != nil {
			return err
		}
		if !created {
			return fmt.Errorf("insert outbox entry %q: %w", p.IdempotencyKey, store.ErrConflict)
		}
	}
	return nil
}
