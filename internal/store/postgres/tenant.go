package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toTenant(r dbsqlc.Tenant) *domain.Tenant {
	return &domain.Tenant{
		ID:        r.ID,
		Name:      r.Name,
		Slug:      r.Slug,
		Plan:      domain.Plan(r.Plan),
		CreatedAt: utc(r.CreatedAt),
		UpdatedAt: utc(r.UpdatedAt),
	}
}

// TenantInsert creates a tenant.
func (t *tx) TenantInsert(ctx context.Context, p *store.TenantInsertParams) (*domain.Tenant, error) {
	r, err := t.q.TenantInsert(ctx, dbsqlc.TenantInsertParams{
		ID:   newID(p.ID),
		Name: p.Name,
		Slug: p.Slug,
		Plan: string(p.Plan),
	})
	if err != nil {
		return nil, translateInsert(err, "insert tenant %q", p.Slug)
	}
	return toTenant(r), nil
}

// TenantGetByID loads a tenant.
func (t *tx) TenantGetByID(ctx context.Context, id uuid.UUID) (*domain.Tenant, error) {
	r, err := t.q.TenantGetByID(ctx, id)
	if err != nil {
		return nil, translate(err, "get tenant %s", id)
	}
	return toTenant(r), nil
}

// TenantGetBySlug loads a tenant by its slug.
func (t *tx) TenantGetBySlug(ctx context.Context, slug string) (*domain.Tenant, error) {
	r, err := t.q.TenantGetBySlug(ctx, slug)
	if err != nil {
		return nil, translate(err, "get tenant %q", slug)
	}
	return toTenant(r), nil
}

// TenantUpdate renames a tenant or changes its plan.
func (t *tx) TenantUpdate(ctx context.Context, p *store.TenantUpdateParams) (*domain.Tenant, error) {
	r, err := t.q.TenantUpdate(ctx, dbsqlc.TenantUpdateParams{ID: p.ID, Name: p.Name, Plan: string(p.Plan)})
	if err != nil {
		return nil, translate(err, "update tenant %s", p.ID)
	}
	return toTenant(r), nil
}

// TenantDelete deletes a tenant and, by cascade, everything it owns.
func (t *tx) TenantDelete(ctx context.Context, id uuid.UUID) error {
	n, err := t.q.TenantDelete(ctx, id)
	return affected(n, err, "delete tenant %s", id)
}
