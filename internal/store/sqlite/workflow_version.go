package sqlite

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func workflowVersionFromRow(r dbsqlc.WorkflowVersion) *domain.WorkflowVersion {
	return &domain.WorkflowVersion{
		ID:         r.ID,
		TenantID:   r.TenantID,
		WorkflowID: r.WorkflowID,
		Version:    int(r.Version),
		Definition: []byte(r.Definition),
		CreatedBy:  uuidPtr(r.CreatedBy),
		CreatedAt:  r.CreatedAt.UTC(),
	}
}

// WorkflowVersionInsert stores a published definition; a version number
// already used by the workflow is store.ErrConflict, a workflow of another
// tenant store.ErrNotFound.
func (t *tx) WorkflowVersionInsert(ctx context.Context, p *store.WorkflowVersionInsertParams) (*domain.WorkflowVersion, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.WorkflowVersionInsert(ctx, t.tx, &dbsqlc.WorkflowVersionInsertParams{
		ID:         id,
		TenantID:   p.TenantID,
		WorkflowID: p.WorkflowID,
		Version:    int64(p.Version),
		Definition: jsonRequired(p.Definition),
		CreatedBy:  nullUUID(p.CreatedBy),
		Now:        now(),
	})
	if err != nil {
		return nil, wrap(err, "insert version %d of workflow %s", p.Version, p.WorkflowID)
	}
	return workflowVersionFromRow(r), nil
}

// WorkflowVersionGetByID returns a tenant's workflow version.
func (t *tx) WorkflowVersionGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionGetByID(ctx, t.tx, &dbsqlc.WorkflowVersionGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get workflow version %s", id)
	}
	return workflowVersionFromRow(r), nil
}

// WorkflowVersionGetByNumber returns a workflow's version by its number.
func (t *tx) WorkflowVersionGetByNumber(ctx context.Context, tenantID, workflowID uuid.UUID, version int) (*domain.WorkflowVersion, error) {
	r, err := t.q.WorkflowVersionGetByNumber(ctx, t.tx, &dbsqlc.WorkflowVersionGetByNumberParams{
		TenantID: tenantID, WorkflowID: workflowID, Version: int64(version),
	})
	if err != nil {
		return nil, wrap(err, "get version %d of workflow %s", version, workflowID)
	}
	return workflowVersionFromRow(r), nil
}

// WorkflowVersionList returns a workflow's versions, newest first, without
// their definitions.
func (t *tx) WorkflowVersionList(ctx context.Context, tenantID, workflowID uuid.UUID) ([]domain.WorkflowVersion, error) {
	rows, err := t.q.WorkflowVersionList(ctx, t.tx, &dbsqlc.WorkflowVersionListParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return nil, wrap(err, "list versions of workflow %s", workflowID)
	}
	out := make([]domain.WorkflowVersion, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.WorkflowVersion{
			ID:         r.ID,
			TenantID:   r.TenantID,
			WorkflowID: r.WorkflowID,
			Version:    int(r.Version),
			CreatedBy:  uuidPtr(r.CreatedBy),
			CreatedAt:  r.CreatedAt.UTC(),
		})
	}
	return out, nil
}

// WorkflowVersionMax returns a workflow's highest version number, 0 when it
// has none.
func (t *tx) WorkflowVersionMax(ctx context.Context, tenantID, workflowID uuid.UUID) (int, error) {
	n, err := t.q.WorkflowVersionMax(ctx, t.tx, &dbsqlc.WorkflowVersionMaxParams{TenantID: tenantID, WorkflowID: workflowID})
	if err != nil {
		return 0, wrap(err, "max version of workflow %s", workflowID)
	}
	return int(n), nil
}
