package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// executionInsertSQL[n] inserts n executions with a multi-row statement; a
// row whose idempotency key is taken is skipped, and RETURNING names the
// rows written.
var executionInsertSQL = multiRowInserts("INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, "+
	"status, contact_id, trigger_type, context, current_node_id, idempotency_key, created_at, updated_at, token, step_count, "+
	"error, started_at, finished_at, wake_at)", 19, " ON CONFLICT DO NOTHING RETURNING id")

// ExecutionInsertMany creates several executions with a few multi-row
// statements (the engine's bulk start). The result is in the order of ps,
// nil where the execution's idempotency key was already used.
func (t *tx) ExecutionInsertMany(ctx context.Context, ps []*store.ExecutionInsertParams) ([]*domain.Execution, error) {
	if err := store.OneTenant(ps, func(p *store.ExecutionInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return nil, fmt.Errorf("insert executions: %w", err)
	}
	out := make([]*domain.Execution, len(ps))
	at := now()
	for done := 0; done < len(ps); {
		n := chunkSize(len(ps) - done)
		chunk := ps[done : done+n]
		ids := make([]uuid.UUID, n)
		args := make([]any, 0, 19*n)
		for i, p := range chunk {
			ids[i] = p.ID
			if ids[i] == uuid.Nil {
				ids[i] = domain.NewID()
			}
			status := p.Status
			if status == "" {
				status = domain.ExecutionPending
			}
			args = append(args, ids[i], p.TenantID, p.WorkflowID, p.VersionID, int64(p.Version), string(status), nullUUID(p.ContactID),
				p.TriggerType, jsonRequired(p.Context), p.CurrentNodeID, p.IdempotencyKey, at, at,
				p.Token, int64(p.StepCount), p.Error, nullTime(p.StartedAt), nullTime(p.FinishedAt), nullTime(p.WakeAt))
		}
		written, err := t.returnedIDs(ctx, executionInsertSQL[n], args)
		if err != nil {
			return nil, wrap(err, "insert %d executions of workflow %s", n, chunk[0].WorkflowID)
		}
		for i, p := range chunk {
			if !written[ids[i]] {
				continue
			}
			out[done+i] = &domain.Execution{
				ID: ids[i], TenantID: p.TenantID, WorkflowID: p.WorkflowID, VersionID: p.VersionID, Version: p.Version,
				Status: p.Status, ContactID: p.ContactID, TriggerType: p.TriggerType, Context: json.RawMessage(jsonRequired(p.Context)),
				CurrentNodeID: p.CurrentNodeID, IdempotencyKey: p.IdempotencyKey, CreatedAt: at, UpdatedAt: at,
				Token: p.Token, StepCount: p.StepCount, Error: p.Error, StartedAt: timePtr(nullTime(p.StartedAt)), FinishedAt: timePtr(nullTime(p.FinishedAt)),
				WakeAt: timePtr(nullTime(p.WakeAt)),
			}
			if out[done+i].Status == "" {
				out[done+i].Status = domain.ExecutionPending
			}
		}
		done += n
	}
	return out, nil
}

// returnedIDs runs an insert … RETURNING id and collects the IDs.
func (t *tx) returnedIDs(ctx context.Context, query string, args []any) (map[uuid.UUID]bool, error) {
	rows, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uuid.UUID]bool{}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// ExecutionLockMany returns the executions of ids that exist, in ID order;
// the write transaction's writer lock already holds them.
func (t *tx) ExecutionLockMany(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]*domain.Execution, error) {
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	out := make([]*domain.Execution, 0, len(sorted))
	for _, id := range slices.Compact(sorted) {
		exec, err := t.ExecutionLock(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, exec)
	}
	return out, nil
}

// StepUpdateMany updates several steps of one tenant (statements are cheap
// in process: one each).
func (t *tx) StepUpdateMany(ctx context.Context, ps []*store.StepUpdateParams) error {
	return eachOfOneTenant(ctx, "update steps", ps, func(p *store.StepUpdateParams) uuid.UUID { return p.TenantID }, t.StepUpdate)
}

// ExecutionUpdateMany writes the states of several executions (one
// statement each: on SQLite a statement costs no round trip).
func (t *tx) ExecutionUpdateMany(ctx context.Context, ps []*store.ExecutionUpdateParams) error {
	return eachOfOneTenant(ctx, "update executions", ps, func(p *store.ExecutionUpdateParams) uuid.UUID { return p.TenantID }, t.ExecutionUpdate)
}

// eachOfOneTenant checks that ps belong to one tenant and applies one to
// each, stopping at the first error.
func eachOfOneTenant[P any](ctx context.Context, what string, ps []P, tenant func(P) uuid.UUID, one func(context.Context, P) error) error {
	if err := store.OneTenant(ps, tenant); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, p := range ps {
		if err := one(ctx, p); err != nil {
			return err
		}
	}
	return nil
}
