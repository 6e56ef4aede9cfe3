package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func executionFromRow(r dbsqlc.WorkflowExecution) *domain.Execution {
	return &domain.Execution{
		ID:             r.ID,
		TenantID:       r.TenantID,
		WorkflowID:     r.WorkflowID,
		VersionID:      r.VersionID,
		Version:        int(r.Version),
		Status:         domain.ExecutionStatus(r.Status),
		ContactID:      uuidPtr(r.ContactID),
		TriggerType:    r.TriggerType,
		Context:        []byte(r.Context),
		CurrentNodeID:  r.CurrentNodeID,
		Token:          r.Token,
		StepCount:      int(r.StepCount),
		Error:          r.Error,
		IdempotencyKey: r.IdempotencyKey,
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
		StartedAt:      timePtr(r.StartedAt),
		FinishedAt:     timePtr(r.FinishedAt),
		WakeAt:         timePtr(r.WakeAt),
		Test:           r.Test,
	}
}

// ExecutionInsert creates an execution (status PENDING unless given, token
// and step count 0). A used idempotency key is store.ErrConflict; a
// workflow or version of another tenant store.ErrNotFound.
func (t *tx) ExecutionInsert(ctx context.Context, p *store.ExecutionInsertParams) (*domain.Execution, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	status := p.Status
	if status == "" {
		status = domain.ExecutionPending
	}
	r, err := t.q.ExecutionInsert(ctx, t.tx, &dbsqlc.ExecutionInsertParams{
		ID:             id,
		TenantID:       p.TenantID,
		WorkflowID:     p.WorkflowID,
		VersionID:      p.VersionID,
		Version:        int64(p.Version),
		Status:         string(status),
		ContactID:      nullUUID(p.ContactID),
		TriggerType:    p.TriggerType,
		Context:        jsonRequired(p.Context),
		CurrentNodeID:  p.CurrentNodeID,
		IdempotencyKey: p.IdempotencyKey,
		Token:          p.Token,
		StepCount:      int64(p.StepCount),
		Error:          p.Error,
		StartedAt:      nullTime(p.StartedAt),
		FinishedAt:     nullTime(p.FinishedAt),
		WakeAt:         nullTime(p.WakeAt),
		CallNode:       sql.NullString{String: p.CallNode, Valid: p.CallNode != ""},
		Now:            now(),
	})
	if err != nil {
		return nil, wrap(err, "insert execution of workflow %s", p.WorkflowID)
	}
	return executionFromRow(r), nil
}

// ExecutionGetByID returns a tenant's execution.
func (t *tx) ExecutionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	r, err := t.q.ExecutionGetByID(ctx, t.tx, &dbsqlc.ExecutionGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get execution %s", id)
	}
	return executionFromRow(r), nil
}

// ExecutionGetByIdempotencyKey returns the execution started with the key.
func (t *tx) ExecutionGetByIdempotencyKey(ctx context.Context, tenantID uuid.UUID, key string) (*domain.Execution, error) {
	r, err := t.q.ExecutionGetByIdempotencyKey(ctx, t.tx, &dbsqlc.ExecutionGetByIdempotencyKeyParams{
		TenantID: tenantID, IdempotencyKey: key,
	})
	if err != nil {
		return nil, wrap(err, "get execution by idempotency key %q", key)
	}
	return executionFromRow(r), nil
}

// ExecutionLock reads an execution. On SQLite a read-write transaction
// holds the single writer connection from BEGIN IMMEDIATE to its end, so
// the row is already locked against every other writer.
func (t *tx) ExecutionLock(ctx context.Context, tenantID, id uuid.UUID) (*domain.Execution, error) {
	r, err := t.q.ExecutionGetByID(ctx, t.tx, &dbsqlc.ExecutionGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "lock execution %s", id)
	}
	return executionFromRow(r), nil
}

// ExecutionUpdate writes an execution's mutable state.
func (t *tx) ExecutionUpdate(ctx context.Context, p *store.ExecutionUpdateParams) error {
	n, err := t.q.ExecutionUpdate(ctx, t.tx, &dbsqlc.ExecutionUpdateParams{
		TenantID:      p.TenantID,
		ID:            p.ID,
		Status:        string(p.Status),
		Context:       jsonRequired(p.Context),
		CurrentNodeID: p.CurrentNodeID,
		Token:         p.Token,
		StepCount:     int64(p.StepCount),
		Error:         p.Error,
		StartedAt:     nullTime(p.StartedAt),
		FinishedAt:    nullTime(p.FinishedAt),
		WakeAt:        nullTime(p.WakeAt),
		Now:           now(),
	})
	return affected(n, err, "update execution %s", p.ID)
}

// wakeupClaimMax bounds one ExecutionClaimWakeups.
const wakeupClaimMax = 10000

// ExecutionClaimWakeups takes up to n timers of every tenant due at before
// (calls' recovery times due at callsBefore) off their rows, earliest
// first: it reads the due rows, then clears their wake_at. It needs a
// write transaction, whose writer lock makes the claim exclusive until
// commit.
func (t *tx) ExecutionClaimWakeups(ctx context.Context, before, callsBefore time.Time, n int) ([]store.Wakeup, error) {
	if t.readOnly {
		return nil, fmt.Errorf("claim wakeups: %w", errReadOnly)
	}
	at := utc(before)
	rows, err := t.q.ExecutionWakeupsDue(ctx, t.tx, &dbsqlc.ExecutionWakeupsDueParams{
		Before: sql.NullTime{Time: at, Valid: true}, CallsBefore: sql.NullTime{Time: utc(callsBefore), Valid: true},
		MaxRows: limit(n, wakeupClaimMax, wakeupClaimMax),
	})
	if err != nil {
		return nil, wrap(err, "claim wakeups due at %s", at.Format(time.RFC3339Nano))
	}
	out := make([]store.Wakeup, 0, len(rows))
	for _, r := range rows {
		cleared, err := t.q.ExecutionClearWakeAt(ctx, t.tx, &dbsqlc.ExecutionClearWakeAtParams{TenantID: r.TenantID, ID: r.ID})
		if err := affected(cleared, err, "claim wakeup of execution %s", r.ID); err != nil {
			return nil, err
		}
		out = append(out, store.Wakeup{TenantID: r.TenantID, ExecutionID: r.ID, Token: r.Token, At: r.WakeAt.Time.UTC()})
	}
	return out, nil
}

// ExecutionRecoverCalls moves the recovery time of a dead node's calls
// after start to p.At and their token on (store.Tx).
func (t *tx) ExecutionRecoverCalls(ctx context.Context, p *store.ExecutionRecoverCallsParams) (int, error) {
	if t.readOnly {
		return 0, fmt.Errorf("recover the calls of node %s: %w", p.NodeID, errReadOnly)
	}
	n, err := t.q.ExecutionRecoverCalls(ctx, t.tx, &dbsqlc.ExecutionRecoverCallsParams{
		At: sql.NullTime{Time: utc(p.At), Valid: true}, Before: sql.NullTime{Time: utc(p.Before), Valid: true},
		CallNode: sql.NullString{String: p.NodeID, Valid: true},
	})
	if err != nil {
		return 0, wrap(err, "recover the calls of node %s", p.NodeID)
	}
	return int(n), nil
}

const executionColumns = `id, tenant_id, workflow_id, version_id, version, status, contact_id, trigger_type,
	context, current_node_id, token, step_count, error, idempotency_key, created_at, updated_at,
	started_at, finished_at, wake_at, test`

// ExecutionList pages through a tenant's executions, newest first (default
// 50 a page, at most 500), with optional filters.
func (t *tx) ExecutionList(ctx context.Context, p *store.ExecutionListParams) ([]domain.Execution, error) {
	var (
		sb   strings.Builder
		args = []any{p.TenantID, before(p.Before)}
	)
	sb.WriteString(`SELECT ` + executionColumns + ` FROM workflow_executions WHERE tenant_id = ? AND id < ?`)
	if p.WorkflowID != nil {
		sb.WriteString(` AND workflow_id = ?`)
		args = append(args, *p.WorkflowID)
	}
	if len(p.Status) > 0 {
		sb.WriteString(` AND status IN (?` + strings.Repeat(`, ?`, len(p.Status)-1) + `)`)
		for _, s := range p.Status {
			args = append(args, string(s))
		}
	}
	if p.ContactID != nil {
		sb.WriteString(` AND contact_id = ?`)
		args = append(args, *p.ContactID)
	}
	if p.CreatedAfter != nil {
		sb.WriteString(` AND created_at > ?`)
		args = append(args, utc(*p.CreatedAfter))
	}
	if p.CreatedBefore != nil {
		sb.WriteString(` AND created_at < ?`)
		args = append(args, utc(*p.CreatedBefore))
	}
	if p.Test != nil {
		sb.WriteString(` AND test = ?`)
		args = append(args, *p.Test)
	}
	if p.NodeID != "" {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM workflow_execution_steps s WHERE s.tenant_id = workflow_executions.tenant_id` +
			` AND s.execution_id = workflow_executions.id AND s.node_id = ?`)
		args = append(args, p.NodeID)
		if len(p.NodeStatus) > 0 {
			sb.WriteString(` AND s.status IN (?` + strings.Repeat(`, ?`, len(p.NodeStatus)-1) + `)`)
			for _, s := range p.NodeStatus {
				args = append(args, string(s))
			}
		}
		if hs := store.StepHandles(p.NodeHandle); len(hs) > 0 {
			sb.WriteString(` AND s.handle IN (?` + strings.Repeat(`, ?`, len(hs)-1) + `)`)
			for _, h := range hs {
				args = append(args, h)
			}
		}
		sb.WriteString(`)`)
	}
	sb.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit(p.Limit, 50, 500))

	rows, err := t.tx.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, wrap(err, "list executions of tenant %s", p.TenantID)
	}
	defer rows.Close()
	var out []domain.Execution
	for rows.Next() {
		var r dbsqlc.WorkflowExecution
		if err := rows.Scan(&r.ID, &r.TenantID, &r.WorkflowID, &r.VersionID, &r.Version, &r.Status, &r.ContactID,
			&r.TriggerType, &r.Context, &r.CurrentNodeID, &r.Token, &r.StepCount, &r.Error, &r.IdempotencyKey,
			&r.CreatedAt, &r.UpdatedAt, &r.StartedAt, &r.FinishedAt, &r.WakeAt, &r.Test); err != nil {
			return nil, wrap(err, "list executions of tenant %s", p.TenantID)
		}
		out = append(out, *executionFromRow(r))
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list executions of tenant %s", p.TenantID)
	}
	return out, nil
}

// ExecutionCountByStatus counts a workflow's executions per status.
func (t *tx) ExecutionCountByStatus(ctx context.Context, tenantID, workflowID uuid.UUID) (map[domain.ExecutionStatus]int, error) {
	rows, err := t.q.ExecutionCountByStatus(ctx, t.tx, &dbsqlc.ExecutionCountByStatusParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, wrap(err, "count executions of workflow %s", workflowID)
	}
	out := make(map[domain.ExecutionStatus]int, len(rows))
	for _, r := range rows {
		out[domain.ExecutionStatus(r.Status)] = int(r.Count)
	}
	return out, nil
}

// ExecutionListActiveIDsByWorkflow returns the IDs of a workflow's
// non-terminal executions, oldest first (default 1000, at most 10000).
func (t *tx) ExecutionListActiveIDsByWorkflow(ctx context.Context, tenantID, workflowID uuid.UUID, n int) ([]uuid.UUID, error) {
	ids, err := t.q.ExecutionListActiveIDsByWorkflow(ctx, t.tx, &dbsqlc.ExecutionListActiveIDsByWorkflowParams{
		TenantID: tenantID, WorkflowID: workflowID, Max: limit(n, 1000, 10000),
	})
	if err != nil {
		return nil, wrap(err, "list active executions of workflow %s", workflowID)
	}
	return ids, nil
}

// executionInsertSQL[n] inserts n executions with a multi-row statement; a
// row whose idempotency key is taken is skipped, and RETURNING names the
// rows written.
var executionInsertSQL = multiRowInserts("INSERT INTO workflow_executions (id, tenant_id, workflow_id, version_id, version, "+
	"status, contact_id, trigger_type, context, current_node_id, idempotency_key, created_at, updated_at, token, step_count, "+
	"error, started_at, finished_at, wake_at, call_node)", 20, " ON CONFLICT DO NOTHING RETURNING id")

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
		args := make([]any, 0, 20*n)
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
				p.Token, int64(p.StepCount), p.Error, nullTime(p.StartedAt), nullTime(p.FinishedAt), nullTime(p.WakeAt),
				sql.NullString{String: p.CallNode, Valid: p.CallNode != ""})
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

// ExecutionUpdateMany writes the states of several executions (one
// statement each: on SQLite a statement costs no round trip).
func (t *tx) ExecutionUpdateMany(ctx context.Context, ps []*store.ExecutionUpdateParams) error {
	return eachOfOneTenant(ctx, "update executions", ps, func(p *store.ExecutionUpdateParams) uuid.UUID { return p.TenantID }, t.ExecutionUpdate)
}

// ExecutionStates reads the status and token of the executions of ids that
// exist (one statement each: on SQLite a statement costs no round trip).
func (t *tx) ExecutionStates(ctx context.Context, tenantID uuid.UUID, ids []uuid.UUID) ([]store.ExecutionState, error) {
	out := make([]store.ExecutionState, 0, len(ids))
	for _, id := range ids {
		exec, err := t.ExecutionGetByID(ctx, tenantID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, store.ExecutionState{ID: exec.ID, Status: exec.Status, Token: exec.Token})
	}
	return out, nil
}
