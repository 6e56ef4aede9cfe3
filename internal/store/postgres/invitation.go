package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toInvitation(r dbsqlc.Invitation) *domain.Invitation {
	return &domain.Invitation{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Email:      r.Email,
		Role:       domain.Role(r.Role),
		TokenHash:  r.TokenHash,
		InvitedBy:  r.InvitedBy,
		CreatedAt:  utc(r.CreatedAt),
		ExpiresAt:  utc(r.ExpiresAt),
		AcceptedAt: utcPtr(r.AcceptedAt),
	}
}

// InvitationInsert creates an invitation.
func (t *tx) InvitationInsert(ctx context.Context, p *store.InvitationInsertParams) (*domain.Invitation, error) {
	r, err := t.q.InvitationInsert(ctx, dbsqlc.InvitationInsertParams{
		ID:        newID(p.ID),
		TenantID:  p.TenantID,
		Email:     p.Email,
		Role:      string(p.Role),
		TokenHash: p.TokenHash,
		InvitedBy: p.InvitedBy,
		ExpiresAt: p.ExpiresAt,
	})
	if err != nil {
		return nil, translateInsert(err, "insert invitation of %q to tenant %s", p.Email, p.TenantID)
	}
	return toInvitation(r), nil
}

// InvitationGetByTokenHash finds an invitation across tenants.
func (t *tx) InvitationGetByTokenHash(ctx context.Context, tokenHash []byte) (*domain.Invitation, error) {
	r, err := t.q.InvitationGetByTokenHash(ctx, tokenHash)
	if err != nil {
		return nil, translate(err, "get invitation by token")
	}
	return toInvitation(r), nil
}

// InvitationGetByID loads an invitation.
func (t *tx) InvitationGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Invitation, error) {
	r, err := t.q.InvitationGetByID(ctx, dbsqlc.InvitationGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get invitation %s", id)
	}
	return toInvitation(r), nil
}

// InvitationListByTenant lists a tenant's invitations, newest first.
func (t *tx) InvitationListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Invitation, error) {
	rows, err := t.q.InvitationListByTenant(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list invitations of tenant %s", tenantID)
	}
	out := make([]domain.Invitation, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toInvitation(r))
	}
	return out, nil
}

// InvitationMarkAccepted records that an invitation was accepted.
func (t *tx) InvitationMarkAccepted(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.InvitationMarkAccepted(ctx, dbsqlc.InvitationMarkAcceptedParams{TenantID: tenantID, ID: id, AcceptedAt: &at})
	return affected(n, err, "accept invitation %s", id)
}

// InvitationDelete deletes an invitation.
func (t *tx) InvitationDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.InvitationDelete(ctx, dbsqlc.InvitationDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete invitation %s", id)
}
