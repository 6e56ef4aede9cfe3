package sqlite

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func tenantFromRow(r dbsqlc.Tenant) *domain.Tenant {
	return &domain.Tenant{
		ID:        r.ID,
		Name:      r.Name,
		Slug:      r.Slug,
		Plan:      domain.Plan(r.Plan),
		CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// TenantInsert creates a tenant; a taken slug is store.ErrConflict.
func (t *tx) TenantInsert(ctx context.Context, p *store.TenantInsertParams) (*domain.Tenant, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	plan := p.Plan
	if plan == "" {
		plan = domain.PlanFree
	}
	r, err := t.q.TenantInsert(ctx, t.tx, &dbsqlc.TenantInsertParams{
		ID: id, Name: p.Name, Slug: p.Slug, Plan: string(plan), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert tenant %q", p.Slug)
	}
	return tenantFromRow(r), nil
}

// TenantGetByID returns a tenant.
func (t *tx) TenantGetByID(ctx context.Context, id uuid.UUID) (*domain.Tenant, error) {
	r, err := t.q.TenantGetByID(ctx, t.tx, id)
	if err != nil {
		return nil, wrap(err, "get tenant %s", id)
	}
	return tenantFromRow(r), nil
}

// TenantGetBySlug returns the tenant with the slug.
func (t *tx) TenantGetBySlug(ctx context.Context, slug string) (*domain.Tenant, error) {
	r, err := t.q.TenantGetBySlug(ctx, t.tx, slug)
	if err != nil {
		return nil, wrap(err, "get tenant %q", slug)
	}
	return tenantFromRow(r), nil
}

// TenantUpdate renames a tenant or changes its plan.
func (t *tx) TenantUpdate(ctx context.Context, p *store.TenantUpdateParams) (*domain.Tenant, error) {
	r, err := t.q.TenantUpdate(ctx, t.tx, &dbsqlc.TenantUpdateParams{
		ID: p.ID, Name: p.Name, Plan: string(p.Plan), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "update tenant %s", p.ID)
	}
	return tenantFromRow(r), nil
}

// TenantDelete deletes a tenant and, by cascade, everything it owns.
func (t *tx) TenantDelete(ctx context.Context, id uuid.UUID) error {
	n, err := t.q.TenantDelete(ctx, t.tx, id)
	return affected(n, err, "delete tenant %s", id)
}
