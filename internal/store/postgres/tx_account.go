package postgres

import (
	"context"
	"time"

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

func toUser(r dbsqlc.User) *domain.User {
	return &domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Name:         r.Name,
		PasswordHash: r.PasswordHash,
		CreatedAt:    utc(r.CreatedAt),
		UpdatedAt:    utc(r.UpdatedAt),
	}
}

// UserInsert creates a user.
func (t *tx) UserInsert(ctx context.Context, p *store.UserInsertParams) (*domain.User, error) {
	r, err := t.q.UserInsert(ctx, dbsqlc.UserInsertParams{
		ID:           newID(p.ID),
		Email:        p.Email,
		Name:         p.Name,
		PasswordHash: p.PasswordHash,
	})
	if err != nil {
		return nil, translateInsert(err, "insert user %q", p.Email)
	}
	return toUser(r), nil
}

// UserGetByID loads a user.
func (t *tx) UserGetByID(ctx context.Context, id uuid.UUID) (*domain.User, error) {
	r, err := t.q.UserGetByID(ctx, id)
	if err != nil {
		return nil, translate(err, "get user %s", id)
	}
	return toUser(r), nil
}

// UserGetByEmail loads a user by email, case-insensitively.
func (t *tx) UserGetByEmail(ctx context.Context, email string) (*domain.User, error) {
	r, err := t.q.UserGetByEmail(ctx, email)
	if err != nil {
		return nil, translate(err, "get user %q", email)
	}
	return toUser(r), nil
}

// UserUpdatePassword replaces a user's password hash.
func (t *tx) UserUpdatePassword(ctx context.Context, id uuid.UUID, passwordHash string) error {
	n, err := t.q.UserUpdatePassword(ctx, dbsqlc.UserUpdatePasswordParams{ID: id, PasswordHash: passwordHash})
	return affected(n, err, "update password of user %s", id)
}

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

func toSession(r dbsqlc.Session) *domain.Session {
	return &domain.Session{
		ID:             r.ID,
		UserID:         r.UserID,
		TokenHash:      r.TokenHash,
		ActiveTenantID: r.ActiveTenantID,
		UserAgent:      r.UserAgent,
		IP:             r.Ip,
		CreatedAt:      utc(r.CreatedAt),
		LastSeenAt:     utc(r.LastSeenAt),
		ExpiresAt:      utc(r.ExpiresAt),
		RevokedAt:      utcPtr(r.RevokedAt),
	}
}

// SessionInsert creates a session.
func (t *tx) SessionInsert(ctx context.Context, p *store.SessionInsertParams) (*domain.Session, error) {
	r, err := t.q.SessionInsert(ctx, dbsqlc.SessionInsertParams{
		ID:             newID(p.ID),
		UserID:         p.UserID,
		TokenHash:      p.TokenHash,
		ActiveTenantID: p.ActiveTenantID,
		UserAgent:      p.UserAgent,
		Ip:             p.IP,
		ExpiresAt:      p.ExpiresAt,
	})
	if err != nil {
		return nil, translateInsert(err, "insert session for user %s", p.UserID)
	}
	return toSession(r), nil
}

// SessionGetByTokenHash returns an unrevoked, unexpired session.
func (t *tx) SessionGetByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (*domain.Session, error) {
	r, err := t.q.SessionGetByTokenHash(ctx, dbsqlc.SessionGetByTokenHashParams{TokenHash: tokenHash, Now: now})
	if err != nil {
		return nil, translate(err, "get session by token")
	}
	return toSession(r), nil
}

// SessionTouch records that a session was used.
func (t *tx) SessionTouch(ctx context.Context, id uuid.UUID, lastSeenAt time.Time) error {
	n, err := t.q.SessionTouch(ctx, dbsqlc.SessionTouchParams{ID: id, LastSeenAt: lastSeenAt})
	return affected(n, err, "touch session %s", id)
}

// SessionSetActiveTenant switches a session's active tenant.
func (t *tx) SessionSetActiveTenant(ctx context.Context, id uuid.UUID, tenantID *uuid.UUID) error {
	n, err := t.q.SessionSetActiveTenant(ctx, dbsqlc.SessionSetActiveTenantParams{ID: id, ActiveTenantID: tenantID})
	return affected(n, err, "set active tenant of session %s", id)
}

// SessionRevoke revokes a session (a revoked session keeps its first
// revocation time).
func (t *tx) SessionRevoke(ctx context.Context, id uuid.UUID, at time.Time) error {
	n, err := t.q.SessionRevoke(ctx, dbsqlc.SessionRevokeParams{ID: id, RevokedAt: &at})
	return affected(n, err, "revoke session %s", id)
}

// SessionRevokeAllByUser revokes every live session of a user.
func (t *tx) SessionRevokeAllByUser(ctx context.Context, userID uuid.UUID, at time.Time) (int, error) {
	n, err := t.q.SessionRevokeAllByUser(ctx, dbsqlc.SessionRevokeAllByUserParams{UserID: userID, RevokedAt: &at})
	if err != nil {
		return 0, translate(err, "revoke sessions of user %s", userID)
	}
	return int(n), nil
}

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

func toAPIKey(r dbsqlc.ApiKey) *domain.APIKey {
	scopes := r.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return &domain.APIKey{
		ID:         r.ID,
		TenantID:   r.TenantID,
		Name:       r.Name,
		Prefix:     r.Prefix,
		SecretHash: r.SecretHash,
		Scopes:     scopes,
		CreatedBy:  r.CreatedBy,
		CreatedAt:  utc(r.CreatedAt),
		LastUsedAt: utcPtr(r.LastUsedAt),
		RevokedAt:  utcPtr(r.RevokedAt),
	}
}

// APIKeyInsert creates an API key.
func (t *tx) APIKeyInsert(ctx context.Context, p *store.APIKeyInsertParams) (*domain.APIKey, error) {
	scopes := p.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	r, err := t.q.APIKeyInsert(ctx, dbsqlc.APIKeyInsertParams{
		ID:         newID(p.ID),
		TenantID:   p.TenantID,
		Name:       p.Name,
		Prefix:     p.Prefix,
		SecretHash: p.SecretHash,
		Scopes:     scopes,
		CreatedBy:  p.CreatedBy,
	})
	if err != nil {
		return nil, translateInsert(err, "insert API key %q", p.Prefix)
	}
	return toAPIKey(r), nil
}

// APIKeyGetByPrefix finds an API key across tenants.
func (t *tx) APIKeyGetByPrefix(ctx context.Context, prefix string) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByPrefix(ctx, prefix)
	if err != nil {
		return nil, translate(err, "get API key %q", prefix)
	}
	return toAPIKey(r), nil
}

// APIKeyGetByID loads an API key.
func (t *tx) APIKeyGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.APIKey, error) {
	r, err := t.q.APIKeyGetByID(ctx, dbsqlc.APIKeyGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get API key %s", id)
	}
	return toAPIKey(r), nil
}

// APIKeyListByTenant lists a tenant's API keys, newest first.
func (t *tx) APIKeyListByTenant(ctx context.Context, tenantID uuid.UUID) ([]domain.APIKey, error) {
	rows, err := t.q.APIKeyListByTenant(ctx, tenantID)
	if err != nil {
		return nil, translate(err, "list API keys of tenant %s", tenantID)
	}
	out := make([]domain.APIKey, 0, len(rows))
	for _, r := range rows {
		out = append(out, *toAPIKey(r))
	}
	return out, nil
}

// APIKeyRevoke revokes an API key.
func (t *tx) APIKeyRevoke(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyRevoke(ctx, dbsqlc.APIKeyRevokeParams{TenantID: tenantID, ID: id, RevokedAt: &at})
	return affected(n, err, "revoke API key %s", id)
}

// APIKeyTouch records that an API key was used.
func (t *tx) APIKeyTouch(ctx context.Context, tenantID, id uuid.UUID, at time.Time) error {
	n, err := t.q.APIKeyTouch(ctx, dbsqlc.APIKeyTouchParams{TenantID: tenantID, ID: id, LastUsedAt: &at})
	return affected(n, err, "touch API key %s", id)
}

// AuditInsert records an audit entry.
func (t *tx) AuditInsert(ctx context.Context, p *store.AuditInsertParams) error {
	err := t.q.AuditInsert(ctx, dbsqlc.AuditInsertParams{
		ID:         domain.NewID(),
		TenantID:   p.TenantID,
		ActorType:  p.ActorType,
		ActorID:    p.ActorID,
		Action:     p.Action,
		TargetType: p.TargetType,
		TargetID:   p.TargetID,
		Data:       p.Data,
		Ip:         p.IP,
	})
	return translate(err, "insert audit entry %s", p.Action)
}

// AuditListByTenant pages through a tenant's audit log, newest first.
func (t *tx) AuditListByTenant(ctx context.Context, p *store.AuditListParams) ([]domain.AuditEntry, error) {
	rows, err := t.q.AuditListByTenant(ctx, dbsqlc.AuditListByTenantParams{
		TenantID: p.TenantID,
		Before:   before(p.Before),
		MaxRows:  limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list audit log of tenant %s", p.TenantID)
	}
	out := make([]domain.AuditEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.AuditEntry{
			ID:         r.ID,
			TenantID:   r.TenantID,
			ActorType:  r.ActorType,
			ActorID:    r.ActorID,
			Action:     r.Action,
			TargetType: r.TargetType,
			TargetID:   r.TargetID,
			Data:       rawJSON(r.Data),
			IP:         r.Ip,
			CreatedAt:  utc(r.CreatedAt),
		})
	}
	return out, nil
}
