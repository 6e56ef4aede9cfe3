package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// ListMembers returns the members of the principal's workspace.
func (s *Service) ListMembers(ctx context.Context, p *Principal) ([]domain.Member, error) {
	if err := p.Require(PermMembersRead); err != nil {
		return nil, err
	}
	var out []domain.Member
	err := s.st.Read(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.MembershipListByTenant(ctx, p.TenantID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}

// lockTenant serialises owner-count checks of one workspace: it rewrites
// the tenant row unchanged, which takes its row lock until the transaction
// ends on PostgreSQL (SQLite has a single writer anyway). Two concurrent
// demotions of the last two OWNERs therefore cannot both pass the count.
func lockTenant(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error {
	t, err := tx.TenantGetByID(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	if _, err := tx.TenantUpdate(ctx, &store.TenantUpdateParams{ID: t.ID, Name: t.Name, Plan: t.Plan}); err != nil {
		return fmt.Errorf("lock workspace: %w", err)
	}
	return nil
}

// checkOwnerChange refuses to take the OWNER role from the last OWNER.
func checkOwnerChange(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error {
	n, err := tx.MembershipCountByRole(ctx, tenantID, domain.RoleOwner)
	if err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if n <= 1 {
		return ErrLastOwner
	}
	return nil
}

// ChangeMemberRole gives userID a new role in the principal's workspace.
// Granting or taking away OWNER needs owners:manage (OWNERs only), and the
// last OWNER cannot be demoted. The member's API keys stay, but a key
// never does more than its creator's current role allows
// (Principal.CreatorRole), so a lowered role lowers their keys at once.
func (s *Service) ChangeMemberRole(ctx context.Context, p *Principal, userID uuid.UUID, role domain.Role, meta RequestMeta) (*domain.Membership, error) {
	if err := p.Require(PermMembersManage); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, invalid("role", "must be OWNER, ADMIN, OPERATOR or VIEWER")
	}
	var out *domain.Membership
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		if err := lockTenant(ctx, tx, p.TenantID); err != nil {
			return err
		}
		cur, err := tx.MembershipGet(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if cur.Role == role {
			out = cur
			return nil
		}
		if cur.Role == domain.RoleOwner || role == domain.RoleOwner {
			if err := p.Require(PermOwnersManage); err != nil {
				return err
			}
		}
		if cur.Role == domain.RoleOwner {
			if err := checkOwnerChange(ctx, tx, p.TenantID); err != nil {
				return err
			}
		}
		if out, err = tx.MembershipUpdateRole(ctx, p.TenantID, userID, role); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.TenantID, p, "member.role_changed", "user", userID.String(),
			map[string]any{"from": cur.Role, "to": role}, meta.IP)
	})
	if err != nil {
		return nil, fmt.Errorf("change role of %s: %w", userID, err)
	}
	return out, nil
}

// RemoveMember removes userID from the principal's workspace. Removing an
// OWNER needs owners:manage, and the last OWNER cannot be removed. The API
// keys the member created in the workspace are revoked in the same
// transaction, each with an "apikey.revoked" audit entry (reason
// member_removed); their open streams end at their next recheck.
func (s *Service) RemoveMember(ctx context.Context, p *Principal, userID uuid.UUID, meta RequestMeta) error {
	if err := p.Require(PermMembersManage); err != nil {
		return err
	}
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		if err := lockTenant(ctx, tx, p.TenantID); err != nil {
			return err
		}
		cur, err := tx.MembershipGet(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if cur.Role == domain.RoleOwner {
			if err := p.Require(PermOwnersManage); err != nil {
				return err
			}
			if err := checkOwnerChange(ctx, tx, p.TenantID); err != nil {
				return err
			}
		}
		if err := tx.MembershipDelete(ctx, p.TenantID, userID); err != nil {
			return err
		}
		revoked, err := s.revokeKeysOf(ctx, tx, p, userID, meta)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, p.TenantID, p, "member.removed", "user", userID.String(),
			map[string]any{"role": cur.Role, "apiKeysRevoked": revoked}, meta.IP)
	})
	if err != nil {
		return fmt.Errorf("remove member %s: %w", userID, err)
	}
	return nil
}

// isNotFound reports whether err is store.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// revokeKeysOf revokes, within tx, every unrevoked API key userID created
// in the principal's workspace, auditing each; it returns their IDs.
func (s *Service) revokeKeysOf(ctx context.Context, tx store.Tx, p *Principal, userID uuid.UUID, meta RequestMeta) ([]string, error) {
	keys, err := tx.APIKeyListByTenant(ctx, p.TenantID)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	now := s.now().UTC()
	revoked := []string{}
	for i := range keys {
		k := &keys[i]
		if k.CreatedBy == nil || *k.CreatedBy != userID || k.RevokedAt != nil {
			continue
		}
		if err := tx.APIKeyRevoke(ctx, p.TenantID, k.ID, now); err != nil {
			return nil, fmt.Errorf("revoke API key %s: %w", k.ID, err)
		}
		if err := s.audit(ctx, tx, p.TenantID, p, "apikey.revoked", "api_key", k.ID.String(),
			map[string]any{"name": k.Name, "prefix": k.Prefix, "reason": "member_removed", "member": userID.String()}, meta.IP); err != nil {
			return nil, err
		}
		revoked = append(revoked, k.ID.String())
	}
	return revoked, nil
}
