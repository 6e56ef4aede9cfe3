package sqlite

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func invitationFromRow(r dbsqlc.Invitation) *domain.Invitation {
	return &domain.Invitation{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Email:      r.Email,
		Role:       domain.Role(r.Role),
		TokenHash:  r.TokenHash,
		InvitedBy:  r.InvitedBy,
		CreatedAt:  r.CreatedAt.UTC(),
		ExpiresAt:  r.ExpiresAt.UTC(),
		AcceptedAt: timePtr(r.AcceptedAt),
	}
}

// InvitationInsert creates an invitation.
func (t *tx) InvitationInsert(ctx context.Context, p *store.InvitationInsertParams) (*domain.Invitation, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.InvitationInsert(ctx, t.tx, &dbsqlc.InvitationInsertParams{
		ID:        id,
		TenantID:  p.TenantID,
		Email:     p.Email,
		Role:      string(p.Role),
		TokenHash: p.TokenHash,
		InvitedBy: p.InvitedBy,
		Now:       now(),
		ExpiresAt: utc(p.ExpiresAt),
	})
	if err != nil {
		return nil, wrap(err, "insert invitation of %q to tenant %s", p.Email, p.TenantID)
	}
	return invitationFromRow(r), nil
}

// InvitationGetByTokenHash returns the invitation with the token hash, in
// whichever tenant.
func (t *tx) InvitationGetByTokenHash(ctx context.Context, tokenHash []byte) (*domain.Invitation, error) {
	r, err := t.q.InvitationGetByTokenHash(ctx, t.tx, tokenHash)
	if err != nil {
		return nil, wrap(err, "get invitation by token")
	}
	return invitationFromRow(r), nil
}

// InvitationGetByID returns a tenant's invitation.
func (t *tx) InvitationGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Invitation, error) {
	r, err := t.q.InvitationGetByID(ctx, t.tx, &dbsqlc.InvitationGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get invitation %s", id)
	}
	return invitationFromRow(r), nil
}

// InvitationListByTenant returns a tenant's invitations, newest first.
func (t *tx) InvitationListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.Invitation, error) {
	rows, err := t.q.InvitationListByTenant(ctx, t.tx, tenantID)
	if err != nil {
		return nil, wrap(err, "list invitations of tenant %s", tenantID)
	}
	out := make([]domain.Invitation, 0, len(rows))
	for _, r := range rows {
		out = append(out, *invitationFromRow(r))
	}
	return out, nil
}

// InvitationMarkAccepted records when an invitation was accepted.
func (t *tx) InvitationMarkAccepted(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.InvitationMarkAccepted(ctx, t.tx, &dbsqlc.InvitationMarkAcceptedParams{
		TenantID: tenantID, ID: id, AcceptedAt: nullTime(&at),
	})
	return affected(n, err, "mark invitation %s accepted", id)
}

// InvitationDelete deletes a tenant's invitation.
func (t *tx) InvitationDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.InvitationDelete(ctx, t.tx, &dbsqlc.InvitationDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete invitation %s", id)
}
