package postgres

import (
	"context"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

// ExecutionCountByStatusInPeriod counts a workflow's executions created in
// the period per status.
func (t *tx) ExecutionCountByStatusInPeriod(ctx context.Context, p *store.WorkflowPeriodParams) (map[domain.ExecutionStatus]int, error) {
	rows, err := t.q.ExecutionCountByStatusInPeriod(ctx, dbsqlc.ExecutionCountByStatusInPeriodParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, CreatedFrom: p.From, CreatedTo: p.To,
	})
	if err != nil {
		return nil, translate(err, "count executions of workflow %s in period", p.WorkflowID)
	}
	out := make(map[domain.ExecutionStatus]int, len(rows))
	for _, r := range rows {
		out[domain.ExecutionStatus(r.Status)] = int(r.Count)
	}
	return out, nil
}

// StepFunnelByNode counts, per node, the executions created in the period
// that entered it, in all and per step status.
func (t *tx) StepFunnelByNode(ctx context.Context, p *store.WorkflowPeriodParams) ([]store.NodeFunnel, error) {
	entered, err := t.q.StepFunnelByNode(ctx, dbsqlc.StepFunnelByNodeParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, CreatedFrom: p.From, CreatedTo: p.To,
	})
	if err != nil {
		return nil, translate(err, "count node entries of workflow %s", p.WorkflowID)
	}
	byStatus, err := t.q.StepFunnelByNodeStatus(ctx, dbsqlc.StepFunnelByNodeStatusParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, CreatedFrom: p.From, CreatedTo: p.To,
	})
	if err != nil {
		return nil, translate(err, "count node statuses of workflow %s", p.WorkflowID)
	}
	out := make([]store.NodeFunnel, 0, len(entered))
	at := make(map[string]int, len(entered))
	for _, r := range entered {
		at[r.NodeID] = len(out)
		out = append(out, store.NodeFunnel{NodeID: r.NodeID, Entered: int(r.Executions), ByStatus: map[domain.StepStatus]int{}})
	}
	for _, r := range byStatus {
		if i, ok := at[r.NodeID]; ok {
			out[i].ByStatus[domain.StepStatus(r.Status)] = int(r.Executions)
		}
	}
	return out, nil
}

// StepFunnelByEdge counts, per transition, the executions created in the
// period that made it.
func (t *tx) StepFunnelByEdge(ctx context.Context, p *store.WorkflowPeriodParams) ([]store.EdgeFunnel, error) {
	rows, err := t.q.StepFunnelByEdge(ctx, dbsqlc.StepFunnelByEdgeParams{
		TenantID: p.TenantID, WorkflowID: p.WorkflowID, CreatedFrom: p.From, CreatedTo: p.To,
	})
	if err != nil {
		return nil, translate(err, "count transitions of workflow %s", p.WorkflowID)
	}
	out := make([]store.EdgeFunnel, 0, len(rows))
	for _, r := range rows {
		out = append(out, store.EdgeFunnel{Source: r.Source, Handle: r.Handle, Target: r.Target, Executions: int(r.Executions)})
	}
	return out, nil
}
