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

func toWorkflow(r dbsqlc.Workflow) *domain.Workflow {
	return &domain.Workflow{
		ID:               r.ID,
		TenantID:         r.TenantID,
		Name:             r.Name,
		Description:      r.Description,
		Definition:       rawJSON(r.Definition),
		Revision:         r.Revision,
		IsActive:         r.IsActive,
		CurrentVersionID: r.CurrentVersionID,
		CurrentVersion:   int(r.CurrentVersion),
		CreatedBy:        r.CreatedBy,
		CreatedAt:        utc(r.CreatedAt),
		UpdatedAt:        utc(r.UpdatedAt),
	}
}

func toWorkflows(rows []dbsqlc.Workflow) []domain.Workflow {
	out := make([]domain.Workflow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toWorkflow(r))
	}
	return out
}

// WorkflowInsert creates a workflow with its first draft.
func (t *tx) WorkflowInsert(ctx context.Context, p *store.WorkflowInsertParams) (*domain.Workflow, error) {
	r, err := t.q.WorkflowInsert(ctx, dbsqlc.WorkflowInsertParams{
		ID:          newID(p.ID),
		TenantID:    p.TenantID,
		Name:        p.Name,
		Description: p.Description,
		Definition:  jsonOrEmpty(p.Definition),
		CreatedBy:   p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert workflow %q", p.Name)
	}
	return toWorkflow(r), nil
}

// WorkflowGetByID loads a workflow.
func (t *tx) WorkflowGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Workflow, error) {
	r, err := t.q.WorkflowGetByID(ctx, dbsqlc.WorkflowGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get workflow %s", id)
	}
	return toWorkflow(r), nil
}

// WorkflowGetStartInfo reads a workflow's activity and current version.
func (t *tx) WorkflowGetStartInfo(ctx context.Context, tenantID, id uuid.UUID) (*store.WorkflowStartInfo, error) {
	w := &store.WorkflowStartInfo{}
	err := t.tx.QueryRow(ctx, `SELECT id, tenant_id, is_active, current_version_id, current_version
FROM workflows WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&w.ID, &w.TenantID, &w.IsActive, &w.CurrentVersionID, &w.CurrentVersion)
	if err != nil {
		return nil, translate(err, "get workflow %s", id)
	}
	return w, nil
}

// WorkflowList pages through a tenant's workflows, newest first.
func (t *tx) WorkflowList(ctx context.Context, p *store.WorkflowListParams) ([]domain.Workflow, error) {
	rows, err := t.q.WorkflowList(ctx, dbsqlc.WorkflowListParams{
		TenantID: p.TenantID,
		Search:   likePattern(p.Search),
		Active:   p.Active,
		Before:   before(p.Before),
		MaxRows:  limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list workflows of tenant %s", p.TenantID)
	}
	return toWorkflows(rows), nil
}

// WorkflowUpdateDraft replaces a workflow's draft when its revision is
// p.ExpectedRevision, else store.ErrStale.
func (t *tx) WorkflowUpdateDraft(ctx context.Context, p *store.WorkflowUpdateDraftParams) (*domain.Workflow, error) {
	r, err := t.q.WorkflowUpdateDraft(ctx, dbsqlc.WorkflowUpdateDraftParams{
		TenantID:         p.TenantID,
		ID:               p.ID,
		ExpectedRevision: p.ExpectedRevision,
		Name:             p.Name,
		Description:      p.Description,
		Definition:       jsonOrEmpty(p.Definition),
	})
	if err == nil {
		return toWorkflow(r), nil
	}
	err = translate(err, "update workflow %s", p.ID)
	if errors.Is(err, store.ErrNotFound) {
		exists, xerr := t.q.WorkflowExists(ctx, dbsqlc.WorkflowExistsParams{TenantID: p.TenantID, ID: p.ID})
		if xerr != nil {
			return nil, translate(xerr, "update workflow %s", p.ID)
		}
		if exists {
			return nil, fmt.Errorf("update workflow %s: revision %d: %w", p.ID, p.ExpectedRevision, store.ErrStale)
		}
	}
	return nil, err
}

// WorkflowSetActive activates or deactivates a workflow.
func (t *tx) WorkflowSetActive(ctx context.Context, tenantID, id uuid.UUID, active bool) (*domain.Workflow, error) {
	r, err := t.q.WorkflowSetActive(ctx, dbsqlc.WorkflowSetActiveParams{TenantID: tenantID, ID: id, IsActive: active})
	if err != nil {
		return nil, translate(err, "set workflow %s active", id)
	}
	return toWorkflow(r), nil
}

// WorkflowSetCurrentVersion points a workflow at one of its published
// versions; a version of another workflow is store.ErrNotFound.
func (t *tx) WorkflowSetCurrentVersion(ctx context.Context, tenantID, id, versionID uuid.UUID, version int) (*domain.Workflow, error) {
	r, err := t.q.WorkflowSetCurrentVersion(ctx, dbsqlc.WorkflowSetCurrentVersionParams{
		TenantID:       tenantID,
		ID:             id,
		VersionID:      versionID,
		CurrentVersion: int32(version),
	})
	if err != nil {
		return nil, translate(err, "set current version of workflow %s", id)
	}
	return toWorkflow(r), nil
}

// WorkflowDelete deletes a workflow with its versions, executions and
// schedules.
func (t *tx) WorkflowDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.WorkflowDelete(ctx, dbsqlc.WorkflowDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete workflow %s", id)
}

// WorkflowListActive returns a tenant's active workflows.
func (t *tx) WorkflowListActive(ctx context.Context, tenantID uuid.UUID) ([]domain.Workflow, error) {
	rows, err := t.q.WorkflowListActive(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list active workflows of tenant %s", tenantID)
	}
	return toWorkflows(rows), nil
}
