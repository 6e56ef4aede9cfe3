package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

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
