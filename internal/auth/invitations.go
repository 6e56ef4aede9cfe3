package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// InvitationCreated is a new invitation with its token, shown once.
type InvitationCreated struct {
	Invitation *domain.Invitation
	// Token is the secret the invitee presents; only its hash is stored.
	Token string
	// URL is the accept link for the inviter to share.
	URL string
	// Emailed reports whether the invitation email was sent.
	Emailed bool
}

// CreateInvitation invites email to the principal's workspace with role.
// linkBase is used for the returned link when no BaseURL is configured
// (e.g. the request's origin); emails are sent only with the configured
// BaseURL, so a forged Host header can never put a foreign link into one.
func (s *Service) CreateInvitation(ctx context.Context, p *Principal, email string, role domain.Role, linkBase string, meta RequestMeta) (*InvitationCreated, error) {
	if err := p.Require(PermMembersManage); err != nil {
		return nil, err
	}
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, invalid("role", "must be OWNER, ADMIN, OPERATOR or VIEWER")
	}
	if role == domain.RoleOwner {
		if err := p.Require(PermOwnersManage); err != nil {
			return nil, err
		}
	}
	token, hash, err := NewToken()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var inv *domain.Invitation
	var tenant *domain.Tenant
	err = s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		if tenant, err = tx.TenantGetByID(ctx, p.TenantID); err != nil {
			return err
		}
		if u, err := tx.UserGetByEmail(ctx, email); err == nil {
			if _, err := tx.MembershipGet(ctx, p.TenantID, u.ID); err == nil {
				return ErrAlreadyMember
			} else if !isNotFound(err) {
				return err
			}
		} else if !isNotFound(err) {
			return err
		}
		if s.memberQuota != nil {
			if err := s.memberQuota(ctx, tx, p.TenantID); err != nil {
				return err
			}
		}
		invitedBy := uuid.Nil
		if id := p.UserID(); id != nil {
			invitedBy = *id
		}
		inv, err = tx.InvitationInsert(ctx, &store.InvitationInsertParams{
			TenantID: p.TenantID, ID: domain.NewID(), Email: email, Role: role, TokenHash: hash,
			InvitedBy: invitedBy, ExpiresAt: now.Add(s.invTTL),
		})
		if err != nil {
			return fmt.Errorf("insert invitation: %w", err)
		}
		return s.audit(ctx, tx, p.TenantID, p, "invitation.created", "invitation", inv.ID.String(),
			map[string]any{"email": email, "role": role}, meta.IP)
	})
	if err != nil {
		return nil, fmt.Errorf("invite %s: %w", email, err)
	}
	out := &InvitationCreated{Invitation: inv, Token: token}
	base := s.baseURL
	if base == "" {
		base = strings.TrimRight(linkBase, "/")
	}
	out.URL = s.invitationURL(base, token)
	if s.mailer != nil && s.baseURL != "" {
		msg := InvitationMessage{
			To: email, WorkspaceName: tenant.Name, Role: role, AcceptURL: s.invitationURL(s.baseURL, token), ExpiresAt: inv.ExpiresAt,
		}
		if p.User != nil {
			msg.InviterName, msg.InviterEmail = p.User.Name, p.User.Email
		}
		if err := s.mailer.SendInvitation(ctx, msg); err != nil {
			// The invitation stands; the inviter has the link.
			s.log.WarnContext(ctx, "send invitation email", "invitation_id", inv.ID, "err", err)
		} else {
			out.Emailed = true
		}
	}
	return out, nil
}

func (s *Service) invitationURL(base, token string) string {
	return base + s.invPath + "?token=" + url.QueryEscape(token)
}

// ListInvitations returns the invitations of the principal's workspace.
func (s *Service) ListInvitations(ctx context.Context, p *Principal) ([]domain.Invitation, error) {
	if err := p.Require(PermMembersRead); err != nil {
		return nil, err
	}
	var out []domain.Invitation
	err := s.st.Read(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.InvitationListByTenant(ctx, p.TenantID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// RevokeInvitation deletes a pending invitation of the principal's workspace.
func (s *Service) RevokeInvitation(ctx context.Context, p *Principal, id uuid.UUID, meta RequestMeta) error {
	if err := p.Require(PermMembersManage); err != nil {
		return err
	}
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		inv, err := tx.InvitationGetByID(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if inv.Role == domain.RoleOwner {
			if err := p.Require(PermOwnersManage); err != nil {
				return err
			}
		}
		if err := tx.InvitationDelete(ctx, p.TenantID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.TenantID, p, "invitation.revoked", "invitation", id.String(),
			map[string]any{"email": inv.Email, "role": inv.Role}, meta.IP)
	})
	if err != nil {
		return fmt.Errorf("revoke invitation %s: %w", id, err)
	}
	return nil
}

// AcceptInput accepts an invitation. An existing account proves itself
// with its password (or by being signed in as that account); a new
// account sets Name and Password.
type AcceptInput struct {
	Token    string
	Name     string
	Password string
	// Current is the caller's principal when signed in, else nil.
	Current *Principal
}

// AcceptInvitation joins the invitation's workspace and signs in. When
// the caller was already signed in as the invited account, its session
// switches to the workspace and the result carries no new token.
func (s *Service) AcceptInvitation(ctx context.Context, in AcceptInput, meta RequestMeta) (*SessionResult, error) {
	if !wellFormedToken(in.Token) {
		return nil, ErrInvitationInvalid
	}
	now := s.now().UTC()
	var inv *domain.Invitation
	var existing *domain.User
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		if inv, err = tx.InvitationGetByTokenHash(ctx, HashToken(in.Token)); err != nil {
			return err
		}
		existing, err = tx.UserGetByEmail(ctx, inv.Email)
		if isNotFound(err) {
			existing, err = nil, nil
		}
		return err
	})
	if isNotFound(err) {
		return nil, ErrInvitationInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	if !equalHash(inv.TokenHash, HashToken(in.Token)) || inv.AcceptedAt != nil || !now.Before(inv.ExpiresAt) {
		return nil, ErrInvitationInvalid
	}

	var newUser *store.UserInsertParams
	signedIn := false
	switch {
	case existing != nil && in.Current != nil && in.Current.User != nil && in.Current.User.ID == existing.ID:
		signedIn = true
	case existing != nil:
		if in.Password == "" {
			return nil, invalid("password", "this email has an account: sign in with its password to accept")
		}
		if err := s.verifyForAccept(ctx, existing, in.Password, meta); err != nil {
			return nil, err
		}
	default:
		name, err := validateName("name", in.Name)
		if err != nil {
			return nil, err
		}
		hash, err := s.hashNewPassword(ctx, in.Password, inv.Email, name)
		if err != nil {
			return nil, err
		}
		newUser = &store.UserInsertParams{ID: domain.NewID(), Email: inv.Email, Name: name, PasswordHash: hash}
	}

	var res *SessionResult
	err = s.st.InTx(ctx, inv.TenantID, func(tx store.Tx) error {
		// Read again inside the tenant's transaction: it may have been
		// revoked or accepted since.
		cur, err := tx.InvitationGetByID(ctx, inv.TenantID, inv.ID)
		if err != nil {
			return err
		}
		if cur.AcceptedAt != nil || !now.Before(cur.ExpiresAt) {
			return ErrInvitationInvalid
		}
		user := existing
		if newUser != nil {
			if user, err = tx.UserInsert(ctx, newUser); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return ErrEmailTaken
				}
				return fmt.Errorf("insert user: %w", err)
			}
		}
		if _, err := tx.MembershipInsert(ctx, &store.MembershipInsertParams{TenantID: inv.TenantID, UserID: user.ID, Role: inv.Role}); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrAlreadyMember
			}
			return fmt.Errorf("insert membership: %w", err)
		}
		if err := tx.InvitationMarkAccepted(ctx, inv.TenantID, inv.ID, now); err != nil {
			return fmt.Errorf("mark invitation accepted: %w", err)
		}
		actor := &Principal{Kind: KindUser, User: user, TenantID: inv.TenantID, Role: inv.Role}
		if err := s.audit(ctx, tx, inv.TenantID, actor, "invitation.accepted", "invitation", inv.ID.String(),
			map[string]any{"email": inv.Email, "role": inv.Role, "newAccount": newUser != nil}, meta.IP); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, inv.TenantID, actor, "member.added", "user", user.ID.String(),
			map[string]any{"role": inv.Role}, meta.IP); err != nil {
			return err
		}
		if signedIn {
			if err := tx.SessionSetActiveTenant(ctx, in.Current.Session.ID, &inv.TenantID); err != nil {
				return fmt.Errorf("switch session: %w", err)
			}
			res = &SessionResult{Session: in.Current.Session, User: user, TenantID: inv.TenantID, Role: inv.Role}
			return nil
		}
		res, err = s.newSession(ctx, tx, user, inv.TenantID, inv.Role, meta)
		return err
	})
	if isNotFound(err) {
		return nil, ErrInvitationInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	return res, nil
}

// verifyForAccept checks an existing account's password, throttled and
// gated like a sign-in.
func (s *Service) verifyForAccept(ctx context.Context, user *domain.User, password string, meta RequestMeta) error {
	keys := s.loginKeys(NormalizeEmail(user.Email), meta.IP)
	var ok bool
	err := s.inHashSlot(ctx, func() error {
		if err := s.take(ctx, keys...); err != nil {
			return err
		}
		ok = s.checkPassword(ctx, user, password)
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidCredentials
	}
	s.settleSignIn(ctx, keys)
	return nil
}
