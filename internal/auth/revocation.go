package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// keyCreatorRole returns the current role of key's creator in the key's
// workspace, which caps what the key may do (Principal.Can). A key made
// by no user (the admin command) has no cap: it returns "" and nil. A
// creator who is no longer a member makes the key invalid:
// ErrUnauthenticated (RemoveMember revokes such keys; this is the second
// line).
func keyCreatorRole(ctx context.Context, tx store.Tx, key *domain.APIKey) (domain.Role, error) {
	if key.CreatedBy == nil {
		return "", nil
	}
	m, err := tx.MembershipGet(ctx, key.TenantID, *key.CreatedBy)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnauthenticated
	}
	if err != nil {
		return "", fmt.Errorf("creator of API key %s: %w", key.ID, err)
	}
	return m.Role, nil
}

// Recheck tells whether a principal resolved earlier still stands and
// still holds perm, for work that outlives the request that authenticated
// it (the live stream). It answers ErrUnauthenticated when the session
// was revoked (logout, logout everywhere) or expired, when the user is no
// longer a member of the principal's workspace, when the API key was
// revoked or its creator removed; a *PermissionError when the current
// role (or the key creator's current role) no longer holds perm; nil when
// all is well. It is one read transaction of two or three lookups by key,
// cheap enough to run every few seconds per stream, and it reads the
// database, so a revocation on any node is seen by every node.
func (s *Service) Recheck(ctx context.Context, p *Principal, perm Permission) error {
	if p == nil {
		return ErrUnauthenticated
	}
	now := s.now().UTC()
	fresh := &Principal{Kind: p.Kind, TenantID: p.TenantID, User: p.User, Session: p.Session, APIKey: p.APIKey, Scopes: p.Scopes}
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		switch {
		case p.Kind == KindUser && p.Session != nil && p.User != nil:
			sess, err := tx.SessionGetByTokenHash(ctx, p.Session.TokenHash, now)
			if err != nil {
				return err
			}
			if sess.ID != p.Session.ID || sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) {
				return store.ErrNotFound
			}
			m, err := tx.MembershipGet(ctx, p.TenantID, p.User.ID)
			if err != nil {
				return err
			}
			fresh.Role = m.Role
			return nil
		case p.Kind == KindAPIKey && p.APIKey != nil:
			key, err := tx.APIKeyGetByPrefix(ctx, p.APIKey.Prefix)
			if err != nil {
				return err
			}
			if key.ID != p.APIKey.ID || key.RevokedAt != nil {
				return store.ErrNotFound
			}
			fresh.APIKey, fresh.Scopes = key, key.Scopes
			fresh.CreatorRole, err = keyCreatorRole(ctx, tx, key)
			return err
		}
		return store.ErrNotFound
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ErrUnauthenticated):
		return ErrUnauthenticated
	case err != nil:
		return fmt.Errorf("recheck principal: %w", err)
	}
	return fresh.Require(perm)
}
