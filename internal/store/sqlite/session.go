package sqlite

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func sessionFromRow(r dbsqlc.Session) *domain.Session {
	return &domain.Session{
		ID:             r.ID,
		UserID:         r.UserID,
		TokenHash:      r.TokenHash,
		ActiveTenantID: uuidPtr(r.ActiveTenantID),
		UserAgent:      r.UserAgent,
		IP:             r.Ip,
		CreatedAt:      r.CreatedAt.UTC(),
		LastSeenAt:     r.LastSeenAt.UTC(),
		ExpiresAt:      r.ExpiresAt.UTC(),
		RevokedAt:      timePtr(r.RevokedAt),
	}
}

// SessionInsert creates a session.
func (t *tx) SessionInsert(ctx context.Context, p *store.SessionInsertParams) (*domain.Session, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.SessionInsert(ctx, t.tx, &dbsqlc.SessionInsertParams{
		ID:             id,
		UserID:         p.UserID,
		TokenHash:      p.TokenHash,
		ActiveTenantID: nullUUID(p.ActiveTenantID),
		UserAgent:      p.UserAgent,
		Ip:             p.IP,
		Now:            now(),
		ExpiresAt:      utc(p.ExpiresAt),
	})
	if err != nil {
		return nil, wrap(err, "insert session of user %s", p.UserID)
	}
	return sessionFromRow(r), nil
}

// SessionGetByTokenHash returns the unrevoked session with the token hash
// that expires after now.
func (t *tx) SessionGetByTokenHash(ctx context.Context, tokenHash []byte, now time.Time) (*domain.Session, error) {
	r, err := t.q.SessionGetByTokenHash(ctx, t.tx, &dbsqlc.SessionGetByTokenHashParams{
		TokenHash: tokenHash, Now: utc(now),
	})
	if err != nil {
		return nil, wrap(err, "get session by token")
	}
	return sessionFromRow(r), nil
}

// SessionTouch records that a session was used.
func (t *tx) SessionTouch(ctx context.Context, id uuid.UUID, lastSeenAt time.Time) error {
	n, err := t.q.SessionTouch(ctx, t.tx, &dbsqlc.SessionTouchParams{ID: id, LastSeenAt: utc(lastSeenAt)})
	return affected(n, err, "touch session %s", id)
}

// SessionSetActiveTenant switches the tenant a session works in.
func (t *tx) SessionSetActiveTenant(ctx context.Context, id uuid.UUID, tenantID *uuid.UUID) error {
	n, err := t.q.SessionSetActiveTenant(ctx, t.tx, &dbsqlc.SessionSetActiveTenantParams{
		ID: id, ActiveTenantID: nullUUID(tenantID),
	})
	return affected(n, err, "set active tenant of session %s", id)
}

// SessionRevoke revokes a session; revoking it again keeps the first time.
func (t *tx) SessionRevoke(ctx context.Context, id uuid.UUID, at time.Time) error {
	n, err := t.q.SessionRevoke(ctx, t.tx, &dbsqlc.SessionRevokeParams{ID: id, RevokedAt: nullTime(&at)})
	return affected(n, err, "revoke session %s", id)
}

// SessionRevokeAllByUser revokes every live session of a user and returns
// how many it revoked.
func (t *tx) SessionRevokeAllByUser(ctx context.Context, userID uuid.UUID, at time.Time) (int, error) {
	n, err := t.q.SessionRevokeAllByUser(ctx, t.tx, &dbsqlc.SessionRevokeAllByUserParams{
		UserID: userID, RevokedAt: nullTime(&at),
	})
	if err != nil {
		return 0, wrap(err, "revoke sessions of user %s", userID)
	}
	return int(n), nil
}
