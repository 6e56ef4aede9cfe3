package sqlite

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func membershipFromRow(r dbsqlc.Membership) *domain.Membership {
	return &domain.Membership{
		TenantID:  r.TenantID,
		UserID:    r.UserID,
		Role:      domain.Role(r.Role),
		CreatedAt: r.CreatedAt.UTC(),
	}
}

// MembershipInsert adds a user to a tenant; an existing membership is
// store.ErrConflict, a missing tenant or user store.ErrNotFound.
func (t *tx) MembershipInsert(ctx context.Context, p *store.MembershipInsertParams) (*domain.Membership, error) {
	r, err := t.q.MembershipInsert(ctx, t.tx, &dbsqlc.MembershipInsertParams{
		TenantID: p.TenantID, UserID: p.UserID, Role: string(p.Role), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert membership of user %s in tenant %s", p.UserID, p.TenantID)
	}
	return membershipFromRow(r), nil
}

// MembershipGet returns a user's membership of a tenant.
func (t *tx) MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (*domain.Membership, error) {
	r, err := t.q.MembershipGet(ctx, t.tx, &dbsqlc.MembershipGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return nil, wrap(err, "get membership of user %s in tenant %s", userID, tenantID)
	}
	return membershipFromRow(r), nil
}

// MembershipListByUser returns a user's memberships with their tenants,
// ordered by tenant name.
func (t *tx) MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]domain.MembershipWithTenant, error) {
	rows, err := t.q.MembershipListByUser(ctx, t.tx, userID)
	if err != nil {
		return nil, wrap(err, "list memberships of user %s", userID)
	}
	out := make([]domain.MembershipWithTenant, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.MembershipWithTenant{
			Membership: *membershipFromRow(r.Membership),
			Tenant:     *tenantFromRow(r.Tenant),
		})
	}
	return out, nil
}

// MembershipListByTenant returns a tenant's members with their users, oldest
// membership first.
func (t *tx) MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Member, error) {
	rows, err := t.q.MembershipListByTenant(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list members of tenant %s", tenantID)
	}
	out := make([]domain.Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Member{
			Membership: *membershipFromRow(r.Membership),
			User:       *userFromRow(r.User),
		})
	}
	return out, nil
}

// MembershipUpdateRole changes a member's role.
func (t *tx) MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role domain.Role) (*domain.Membership, error) {
	r, err := t.q.MembershipUpdateRole(ctx, t.tx, &dbsqlc.MembershipUpdateRoleParams{
		TenantID: tenantID, UserID: userID, Role: string(role),
	})
	if err != nil {
		return nil, wrap(err, "update role of user %s in tenant %s", userID, tenantID)
	}
	return membershipFromRow(r), nil
}

// MembershipDelete removes a user from a tenant.
func (t *tx) MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID) error {
	n, err := t.q.MembershipDelete(ctx, t.tx, &dbsqlc.MembershipDeleteParams{TenantID: tenantID, UserID: userID})
	return affected(n, err, "delete membership of user %s in tenant %s", userID, tenantID)
}

// MembershipCountByRole counts a tenant's members with the role.
func (t *tx) MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role domain.Role) (int, error) {
	n, err := t.q.MembershipCountByRole(ctx, t.tx, &dbsqlc.MembershipCountByRoleParams{TenantID: tenantID, Role: string(role)})
	if err != nil {
		return 0, wrap(err, "count %s members of tenant %s", role, tenantID)
	}
	return int(n), nil
}
