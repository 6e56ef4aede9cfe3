package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func workflowFromRow(r dbsqlc.Workflow) *domain.Workflow {
	return &domain.Workflow{
		ID:               r.ID,
		TenantID:         r.TenantID,
		Name:             r.Name,
		Description:      r.Description,
		Definition:       []byte(r.Definition),
		Revision:         r.Revision,
		IsActive:         r.IsActive,
		CurrentVersionID: uuidPtr(r.CurrentVersionID),
		CurrentVersion:   int(r.CurrentVersion),
		CreatedBy:        uuidPtr(r.CreatedBy),
		CreatedAt:        r.CreatedAt.UTC(),
		UpdatedAt:        r.UpdatedAt.UTC(),
	}
}

// WorkflowInsert creates a workflow at revision 1, inactive, unpublished.
func (t *tx) WorkflowInsert(ctx context.Context, p *store.WorkflowInsertParams) (*domain.Workflow, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.WorkflowInsert(ctx, t.tx, &dbsqlc.WorkflowInsertParams{
		ID:          id,
		TenantID:    p.TenantID,
		Name:        p.Name,
		Description: p.Description,
		Definition:  jsonRequired(p.Definition),
		CreatedBy:   nullUUID(p.CreatedBy),
		Now:         now(),
	})
	if err != nil {
		return nil, wrap(err, "insert workflow %q", p.Name)
	}
	return workflowFromRow(r), nil
}

// WorkflowGetByID returns a tenant's workflow.
func (t *tx) WorkflowGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Workflow, error) {
	r, err := t.q.WorkflowGetByID(ctx, t.tx, &dbsqlc.WorkflowGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get workflow %s", id)
	}
	return workflowFromRow(r), nil
}

// WorkflowGetStartInfo reads a workflow's activity and current version.
func (t *tx) WorkflowGetStartInfo(ctx context.Context, tenantID, id uuid.UUID) (*store.WorkflowStartInfo, error) {
	w := &store.WorkflowStartInfo{}
	var current uuid.NullUUID
	err := t.tx.QueryRowContext(ctx, `SELECT id, tenant_id, is_active, current_version_id, current_version
FROM workflows WHERE tenant_id = ? AND id = ?`, tenantID, id).
		Scan(&w.ID, &w.TenantID, &w.IsActive, &current, &w.CurrentVersion)
	if err != nil {
		return nil, wrap(err, "get workflow %s", id)
	}
	w.CurrentVersionID = uuidPtr(current)
	return w, nil
}

const workflowColumns = `id, tenant_id, name, description, definition, revision, is_active,
	current_version_id, current_version, created_by, created_at, updated_at`

// WorkflowList pages through a tenant's workflows, newest first (default 50
// a page, at most 500), optionally filtered by name and activity.
func (t *tx) WorkflowList(ctx context.Context, p *store.WorkflowListParams) ([]domain.Workflow, error) {
	var (
		sb   strings.Builder
		args = []any{p.TenantID, before(p.Before)}
	)
	sb.WriteString(`SELECT ` + workflowColumns + ` FROM workflows WHERE tenant_id = ? AND id < ?`)
	if p.Search != "" {
		sb.WriteString(` AND instr(unicode_lower(name), ?) > 0`)
		args = append(args, strings.ToLower(p.Search))
	}
	if p.Active != nil {
		sb.WriteString(` AND is_active = ?`)
		args = append(args, *p.Active)
	}
	sb.WriteString(` ORDER BY id DESC LIMIT ?`)
	args = append(args, limit(p.Limit, 50, 500))

	rows, err := t.tx.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, wrap(err, "list workflows of tenant %s", p.TenantID)
	}
	defer rows.Close()
	var out []domain.Workflow
	for rows.Next() {
		var r dbsqlc.Workflow
		if err := rows.Scan(&r.ID, &r.TenantID, &r.Name, &r.Description, &r.Definition, &r.Revision, &r.IsActive,
			&r.CurrentVersionID, &r.CurrentVersion, &r.CreatedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, wrap(err, "list workflows of tenant %s", p.TenantID)
		}
		out = append(out, *workflowFromRow(r))
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list workflows of tenant %s", p.TenantID)
	}
	return out, nil
}

// WorkflowUpdateDraft replaces the draft when the stored revision is
// p.ExpectedRevision (else store.ErrStale) and increments the revision.
func (t *tx) WorkflowUpdateDraft(ctx context.Context, p *store.WorkflowUpdateDraftParams) (*domain.Workflow, error) {
	r, err := t.q.WorkflowUpdateDraft(ctx, t.tx, &dbsqlc.WorkflowUpdateDraftParams{
		TenantID:         p.TenantID,
		ID:               p.ID,
		ExpectedRevision: p.ExpectedRevision,
		Name:             p.Name,
		Description:      p.Description,
		Definition:       jsonRequired(p.Definition),
		Now:              now(),
	})
	if err == nil {
		return workflowFromRow(r), nil
	}
	err = translate(err)
	if !errors.Is(err, store.ErrNotFound) {
		return nil, wrap(err, "update workflow %s", p.ID)
	}
	// No row matched: tell a missing workflow from a moved-on revision.
	cur, getErr := t.WorkflowGetByID(ctx, p.TenantID, p.ID)
	if getErr != nil {
		return nil, getErr
	}
	return nil, errorf(store.ErrStale, "update workflow %s: revision is %d, not %d", p.ID, cur.Revision, p.ExpectedRevision)
}

// WorkflowSetActive activates or deactivates a workflow.
func (t *tx) WorkflowSetActive(ctx context.Context, tenantID, id uuid.UUID, active bool) (*domain.Workflow, error) {
	r, err := t.q.WorkflowSetActive(ctx, t.tx, &dbsqlc.WorkflowSetActiveParams{
		TenantID: tenantID, ID: id, IsActive: active, Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "set workflow %s active=%t", id, active)
	}
	return workflowFromRow(r), nil
}

// WorkflowSetCurrentVersion makes a published version the one new
// executions start on. A version of another workflow is store.ErrNotFound.
func (t *tx) WorkflowSetCurrentVersion(ctx context.Context, tenantID, id, versionID uuid.UUID, version int) (*domain.Workflow, error) {
	v, err := t.WorkflowVersionGetByID(ctx, tenantID, versionID)
	if err != nil {
		return nil, fmt.Errorf("set current version of workflow %s: %w", id, err)
	}
	if v.WorkflowID != id {
		return nil, store.NotFoundf("set current version of workflow %s: version %s belongs to workflow %s", id, versionID, v.WorkflowID)
	}
	r, err := t.q.WorkflowSetCurrentVersion(ctx, t.tx, &dbsqlc.WorkflowSetCurrentVersionParams{
		TenantID:         tenantID,
		ID:               id,
		CurrentVersionID: uuid.NullUUID{UUID: versionID, Valid: true},
		CurrentVersion:   int64(version),
		Now:              now(),
	})
	if err != nil {
		return nil, wrap(err, "set current version of workflow %s to %s", id, versionID)
	}
	return workflowFromRow(r), nil
}

// WorkflowDelete deletes a workflow with its versions, executions and
// schedules.
func (t *tx) WorkflowDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.WorkflowDelete(ctx, t.tx, &dbsqlc.WorkflowDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete workflow %s", id)
}

// WorkflowListActive returns a tenant's active workflows, newest first.
func (t *tx) WorkflowListActive(ctx context.Context, tenantID uuid.UUID) ([]domain.Workflow, error) {
	rows, err := t.q.WorkflowListActive(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list active workflows of tenant %s", tenantID)
	}
	out := make([]domain.Workflow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *workflowFromRow(r))
	}
	return out, nil
}
