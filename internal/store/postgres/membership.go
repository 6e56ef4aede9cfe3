package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toMembership(r dbsqlc.Membership) domain.Membership {
	return domain.Membership{
		TenantID:  r.TenantID,
		UserID:    r.UserID,
		Role:      domain.Role(r.Role),
		CreatedAt: utc(r.CreatedAt),
	}
}

// MembershipInsert adds a user to a tenant.
func (t *tx) MembershipInsert(ctx context.Context, p *store.MembershipInsertParams) (*domain.Membership, error) {
	r, err := t.q.MembershipInsert(ctx, dbsqlc.MembershipInsertParams{
		TenantID: p.TenantID,
		UserID:   p.UserID,
		Role:     string(p.Role),
	})
	if err != nil {
		return nil, translateInsert(err, "add user %s to tenant %s", p.UserID, p.TenantID)
	}
	m := toMembership(r)
	return &m, nil
}

// MembershipGet loads a user's membership of a tenant.
func (t *tx) MembershipGet(ctx context.Context, tenantID, userID uuid.UUID) (*domain.Membership, error) {
	r, err := t.q.MembershipGet(ctx, dbsqlc.MembershipGetParams{TenantID: tenantID, UserID: userID})
	if err != nil {
		return nil, translate(err, "get membership of user %s in tenant %s", userID, tenantID)
	}
	m := toMembership(r)
	return &m, nil
}

// MembershipListByUser lists a user's tenants. Under row-level security it
// sees every tenant only in a system (uuid.Nil) transaction.
func (t *tx) MembershipListByUser(ctx context.Context, userID uuid.UUID) ([]domain.MembershipWithTenant, error) {
	rows, err := t.q.MembershipListByUser(ctx, userID)
	if err != nil {
		return nil, translate(err, "list memberships of user %s", userID)
	}
	out := make([]domain.MembershipWithTenant, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.MembershipWithTenant{Membership: toMembership(r.Membership), Tenant: *toTenant(r.Tenant)})
	}
	return out, nil
}

// MembershipListByTenant lists a tenant's members with their users.
func (t *tx) MembershipListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Member, error) {
	rows, err := t.q.MembershipListByTenant(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list members of tenant %s", tenantID)
	}
	out := make([]domain.Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Member{Membership: toMembership(r.Membership), User: *toUser(r.User)})
	}
	return out, nil
}

// MembershipUpdateRole changes a member's role.
func (t *tx) MembershipUpdateRole(ctx context.Context, tenantID, userID uuid.UUID, role domain.Role) (*domain.Membership, error) {
	r, err := t.q.MembershipUpdateRole(ctx, dbsqlc.MembershipUpdateRoleParams{TenantID: tenantID, UserID: userID, Role: string(role)})
	if err != nil {
		return nil, translate(err, "update role of user %s in tenant %s", userID, tenantID)
	}
	m := toMembership(r)
	return &m, nil
}

// MembershipDelete removes a user from a tenant.
func (t *tx) MembershipDelete(ctx context.Context, tenantID, userID uuid.UUID) error {
	n, err := t.q.MembershipDelete(ctx, dbsqlc.MembershipDeleteParams{TenantID: tenantID, UserID: userID})
	return affected(n, err, "remove user %s from tenant %s", userID, tenantID)
}

// MembershipCountByRole counts a tenant's members with a role.
func (t *tx) MembershipCountByRole(ctx context.Context, tenantID uuid.UUID, role domain.Role) (int, error) {
	n, err := t.q.MembershipCountByRole(ctx, dbsqlc.MembershipCountByRoleParams{TenantID: tenantID, Role: string(role)})
	if err != nil {
		return 0, translate(err, "count %s members of tenant %s", role, tenantID)
	}
	return int(n), nil
}
