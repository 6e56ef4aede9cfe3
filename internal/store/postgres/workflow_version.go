package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toWorkflowVersion(r dbsqlc.WorkflowVersion) *domain.WorkflowVersion {
	return &domain.WorkflowVersion{
		ID:         r.ID,
		TenantID:   r.TenantID,
		WorkflowID: r.WorkflowID,
		Version:    int(r.Version),
		Definition: rawJSON(r.Definition),
		CreatedBy:  r.CreatedBy,
		CreatedAt:  utc(r.CreatedAt),
	}
}

// WorkflowVersionInsert stores a published definition.
func (t *tx) WorkflowVersionInsert(ctx context.Context, p *store.WorkflowVersionInsertParams) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionInsert(ctx, dbsqlc.WorkflowVersionInsertParams{
		ID:         newID(p.ID),
		TenantID:   p.TenantID,
		WorkflowID: p.WorkflowID,
		Version:    int32(p.Version),
		Definition: jsonOrEmpty(p.Definition),
		CreatedBy:  p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert version %d of workflow %s", p.Version, p.WorkflowID)
	}
	return toWorkflowVersion(r), nil
}

// WorkflowVersionGetByID loads a version.
func (t *tx) WorkflowVersionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionGetByID(ctx, dbsqlc.WorkflowVersionGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get workflow version %s", id)
	}
	return toWorkflowVersion(r), nil
}

// WorkflowVersionGetByNumber loads a workflow's version by number.
func (t *tx) WorkflowVersionGetByNumber(ctx context.Context, tenantID, workflowID uuid.UUID, version int) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionGetByNumber(ctx, dbsqlc.WorkflowVersionGetByNumberParams{
		TenantID:   tenantID,
		WorkflowID: workflowID,
		Version:    int32(version),
	})
	if err != nil {
		return nil, translate(err, "get version %d of workflow %s", version, workflowID)
	}
	return toWorkflowVersion(r), nil
}

// WorkflowVersionList returns a workflow's versions newest first, without
// their definitions.
func (t *tx) WorkflowVersionList(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.WorkflowVersion, error) {
	rows, err := t.q.WorkflowVersionList(ctx, dbsqlc.WorkflowVersionListParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, translate(err, "list versions of workflow %s", workflowID)
	}
	out := make([]domain.WorkflowVersion, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.WorkflowVersion{
			ID:         r.ID,
			TenantID:   r.TenantID,
			WorkflowID: r.WorkflowID,
			Version:    int(r.Version),
			CreatedBy:  r.CreatedBy,
			CreatedAt:  utc(r.CreatedAt),
		})
	}
	return out, nil
}

// WorkflowVersionMax is a workflow's highest version number, 0 when none.
func (t *tx) WorkflowVersionMax(ctx context.Context, tenantID, workflowID uuid.UUID) (int, error) {
	n, err := t.q.WorkflowVersionMax(ctx, dbsqlc.WorkflowVersionMaxParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return 0, translate(err, "max version of workflow %s", workflowID)
	}
	return int(n), nil
}
