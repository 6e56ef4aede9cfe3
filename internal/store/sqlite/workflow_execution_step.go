package sqlite

import (
	"context"

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
