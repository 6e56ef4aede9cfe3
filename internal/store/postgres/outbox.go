package postgres

import (
	"context"
	"errors"
	"fmt"

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
		if !p.Counted {
			return toOutbox(r), true, nil
		}
		if _, err := t.OutboxAttempt(ctx, p.TenantID, r.ID); err != nil {
			return nil, false, err
		}
		e, err := t.OutboxGetByKey(ctx, p.TenantID, p.IdempotencyKey)
		if err != nil {
			return nil, false, err
		}
		return e, true, nil
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

// outboxUpdateManySQL records the outcomes of several entries of one
// tenant in one round trip; the arrays are zipped row by row. Raw SQL:
// sqlc cannot type the unnest of parallel arrays, and the statement is
// planned on each call, as stepUpdateManySQL.
const outboxUpdateManySQL = `UPDATE outbox AS o
SET status = u.status, attempts = u.attempts, response = u.response::jsonb, error = u.error, updated_at = clock_timestamp()
FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[]) AS u(id, status, attempts, response, error)
WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) AND o.id = u.id AND ` + customPlanOnly

// OutboxUpdateMany records the outcomes of several entries of one tenant
// in one round trip; an entry that does not exist is store.ErrNotFound.
func (t *tx) OutboxUpdateMany(ctx context.Context, ps []*store.OutboxUpdateParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	if err := store.OneTenant(ps, func(p *store.OutboxUpdateParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("update outbox entries: %w", err)
	}
	ids, statuses, attempts := make([]uuid.UUID, n), make([]string, n), make([]int32, n)
	responses, errs := make([]*string, n), make([]string, n)
	for i, p := range ps {
		ids[i], statuses[i], attempts[i] = p.ID, string(p.Status), int32(p.Attempts)
		responses[i], errs[i] = jsonOrNil(store.StorableJSON(p.Response)), store.StorableText(p.Error)
	}
	tag, err := t.tx.Exec(ctx, outboxUpdateManySQL, ps[0].TenantID, ids, statuses, attempts, responses, errs)
	if err != nil {
		return translate(err, "update %d outbox entries", n)
	}
	if int(tag.RowsAffected()) != n {
		return fmt.Errorf("update %d outbox entries: %d not found: %w", n, n-int(tag.RowsAffected()), store.ErrNotFound)
	}
	return nil
}

// outboxAttemptManySQL counts one more attempt of several entries of one
// tenant in one round trip (raw SQL for the unnest, as above).
const outboxAttemptManySQL = `UPDATE outbox AS o
SET attempts = o.attempts + 1, attempted_at = clock_timestamp(), updated_at = clock_timestamp()
FROM unnest($2::uuid[]) AS u(id)
WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[]) AND o.id = u.id AND ` + customPlanOnly + `
RETURNING o.id, o.attempts`

// OutboxAttemptMany counts one more attempt of each of the tenant's
// entries ids (distinct) in one round trip and returns the new counts in
// the order of ids; store.ErrNotFound when one does not exist.
func (t *tx) OutboxAttemptMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]int, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, outboxAttemptManySQL, tenantID, ids)
	if err != nil {
		return nil, translate(err, "count attempts of %d outbox entries", len(ids))
	}
	counts := make(map[uuid.UUID]int, len(ids))
	for rows.Next() {
		var id uuid.UUID
		var n int32
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, translate(err, "count attempts of %d outbox entries", len(ids))
		}
		counts[id] = int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count attempts of %d outbox entries", len(ids))
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		n, ok := counts[id]
		if !ok {
			return nil, fmt.Errorf("count attempt of outbox entry %s: %w", id, store.ErrNotFound)
		}
		out[i] = n
	}
	return out, nil
}

// outboxInsertManySQL records several new entries of one tenant in one
// round trip; the arrays are zipped row by row. A taken key fails the
// statement (a unique violation).
const outboxInsertManySQL = `INSERT INTO outbox (id, tenant_id, execution_id, step_id, idempotency_key, kind, status, request,
    attempts, attempted_at)
SELECT u.id, $1, u.execution_id, u.step_id, u.idempotency_key, u.kind, 'PENDING', u.request::jsonb,
    CASE WHEN u.counted THEN 1 ELSE 0 END, CASE WHEN u.counted THEN clock_timestamp() END
FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::bool[])
    AS u(id, execution_id, step_id, idempotency_key, kind, request, counted)`

// OutboxInsertMany records several new entries of one tenant in one round
// trip; a key the tenant has used already is store.ErrConflict.
func (t *tx) OutboxInsertMany(ctx context.Context, ps []*store.OutboxInsertParams) error {
	n := len(ps)
	if n == 0 {
		return nil
	}
	if err := store.OneTenant(ps, func(p *store.OutboxInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert outbox entries: %w", err)
	}
	ids, execs, steps := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n)
	keys, kinds, requests := make([]string, n), make([]string, n), make([]*string, n)
	counted := make([]bool, n)
	for i, p := range ps {
		ids[i], execs[i], steps[i] = newID(p.ID), p.ExecutionID, p.StepID
		keys[i], kinds[i], requests[i] = p.IdempotencyKey, p.Kind, jsonOrNil(store.StorableJSON(p.Request))
		counted[i] = p.Counted
	}
	if _, err := t.tx.Exec(ctx, outboxInsertManySQL, ps[0].TenantID, ids, execs, steps, keys, kinds, requests, counted); err != nil {
		return translate(err, "insert %d outbox entries", n)
	}
	return nil
}
