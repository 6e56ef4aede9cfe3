package sqlite

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func stepFromRow(r dbsqlc.WorkflowExecutionStep) *domain.Step {
	return &domain.Step{
		ID:          r.ID,
		TenantID:    r.TenantID,
		ExecutionID: r.ExecutionID,
		Seq:         int(r.Seq),
		NodeID:      r.NodeID,
		NodeType:    r.NodeType,
		Status:      domain.StepStatus(r.Status),
		Attempt:     int(r.Attempt),
		Input:       jsonRaw(r.Input),
		Output:      jsonRaw(r.Output),
		Error:       r.Error,
		Handle:      r.Handle,
		StartedAt:   r.StartedAt.UTC(),
		FinishedAt:  timePtr(r.FinishedAt),
	}
}

// StepInsert records a node visit; a sequence number already used by the
// execution is store.ErrConflict, an execution of another tenant
// store.ErrNotFound.
func (t *tx) StepInsert(ctx context.Context, p *store.StepInsertParams) (*domain.Step, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	startedAt := p.StartedAt
	if startedAt.IsZero() {
		startedAt = now()
	}
	r, err := t.q.StepInsert(ctx, t.tx, &dbsqlc.StepInsertParams{
		ID:          id,
		TenantID:    p.TenantID,
		ExecutionID: p.ExecutionID,
		Seq:         int64(p.Seq),
		NodeID:      p.NodeID,
		NodeType:    p.NodeType,
		Status:      string(p.Status),
		Attempt:     int64(p.Attempt),
		Input:       jsonText(p.Input),
		Output:      jsonText(p.Output),
		Error:       p.Error,
		Handle:      p.Handle,
		StartedAt:   utc(startedAt),
		FinishedAt:  nullTime(p.FinishedAt),
	})
	if err != nil {
		return nil, wrap(err, "insert step %d (%s) of execution %s", p.Seq, p.NodeID, p.ExecutionID)
	}
	return stepFromRow(r), nil
}

// StepUpdate records a step's progress or result.
func (t *tx) StepUpdate(ctx context.Context, p *store.StepUpdateParams) error {
	n, err := t.q.StepUpdate(ctx, t.tx, &dbsqlc.StepUpdateParams{
		TenantID:    p.TenantID,
		ExecutionID: p.ExecutionID,
		Seq:         int64(p.Seq),
		Status:      string(p.Status),
		Attempt:     int64(p.Attempt),
		Output:      jsonText(p.Output),
		Error:       p.Error,
		Handle:      p.Handle,
		FinishedAt:  nullTime(p.FinishedAt),
	})
	return affected(n, err, "update step %d of execution %s", p.Seq, p.ExecutionID)
}

// StepGet returns the step with sequence number seq of a tenant's
// execution.
func (t *tx) StepGet(ctx context.Context, tenantID, executionID uuid.UUID, seq int) (*domain.Step, error) {
	r, err := t.q.StepGet(ctx, t.tx, &dbsqlc.StepGetParams{TenantID: tenantID, ExecutionID: executionID, Seq: int64(seq)})
	if err != nil {
		return nil, wrap(err, "get step %d of execution %s", seq, executionID)
	}
	return stepFromRow(r), nil
}

// StepListByExecution returns an execution's steps in sequence order.
func (t *tx) StepListByExecution(ctx context.Context, tenantID, executionID uuid.UUID) ([]domain.Step, error) {
	rows, err := t.q.StepListByExecution(ctx, t.tx, &dbsqlc.StepListByExecutionParams{TenantID: tenantID, ExecutionID: executionID})
	if err != nil {
		return nil, wrap(err, "list steps of execution %s", executionID)
	}
	out := make([]domain.Step, 0, len(rows))
	for _, r := range rows {
		out = append(out, *stepFromRow(r))
	}
	return out, nil
}

// StepCountByNode counts a workflow's step visits per node and status,
// ordered by node and status.
func (t *tx) StepCountByNode(ctx context.Context, tenantID, workflowID uuid.UUID) ([]store.NodeCount, error) {
	rows, err := t.q.StepCountByNode(ctx, t.tx, &dbsqlc.StepCountByNodeParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, wrap(err, "count steps of workflow %s", workflowID)
	}
	out := make([]store.NodeCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.NodeCount{NodeID: r.NodeID, Status: domain.StepStatus(r.Status), Count: int(r.Count)})
	}
	return out, nil
}

// stepColumns are the columns StepInsertMany writes, in order.
const stepColumns = "id, tenant_id, execution_id, seq, node_id, node_type, status, attempt, input, output, error, handle, started_at, finished_at"

// stepInsertSQL[n] inserts n steps.
var stepInsertSQL = multiRowInserts("INSERT INTO workflow_execution_steps ("+stepColumns+")", 14, "")

// StepInsertMany records several node visits with a few multi-row
// statements rather than one statement each (the engine's batch of pure
// nodes and its group commit). A step that exists already is
// store.ErrConflict.
func (t *tx) StepInsertMany(ctx context.Context, ps []*store.StepInsertParams) error {
	if err := store.OneTenant(ps, func(p *store.StepInsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return fmt.Errorf("insert steps: %w", err)
	}
	for len(ps) > 0 {
		n := chunkSize(len(ps))
		args := make([]any, 0, 14*n)
		for _, p := range ps[:n] {
			id := p.ID
			if id == uuid.Nil {
				id = domain.NewID()
			}
			started := p.StartedAt
			if started.IsZero() {
				started = now()
			}
			args = append(args, id, p.TenantID, p.ExecutionID, int64(p.Seq), p.NodeID, p.NodeType, string(p.Status),
				int64(p.Attempt), jsonText(p.Input), jsonText(p.Output), p.Error, p.Handle, utc(started), nullTime(p.FinishedAt))
		}
		if _, err := t.tx.ExecContext(ctx, stepInsertSQL[n], args...); err != nil {
			return wrap(err, "insert %d steps of execution %s", n, ps[0].ExecutionID)
		}
		ps = ps[n:]
	}
	return nil
}

// StepUpdateMany updates several steps of one tenant (statements are cheap
// in process: one each).
func (t *tx) StepUpdateMany(ctx context.Context, ps []*store.StepUpdateParams) error {
	return eachOfOneTenant(ctx, "update steps", ps, func(p *store.StepUpdateParams) uuid.UUID { return p.TenantID }, t.StepUpdate)
}
