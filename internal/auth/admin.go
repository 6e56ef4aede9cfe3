package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// CreateUser creates a user from the shell (`nextflow admin create-user`),
// with the same validation as sign-up. The user belongs to no workspace
// until CreateTenant or an invitation adds them.
func (s *Service) CreateUser(ctx context.Context, email, password, name string) (*domain.User, error) {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	name, err := validateName("name", name)
	if err != nil {
		return nil, err
	}
	hash, err := s.hashNewPassword(ctx, password, email, name)
	if err != nil {
		return nil, err
	}
	var u *domain.User
	err = s.st.InTx(ctx, domain.NewID(), func(tx store.Tx) error {
		var err error
		u, err = tx.UserInsert(ctx, &store.UserInsertParams{ID: domain.NewID(), Email: email, Name: name, PasswordHash: hash})
		if errors.Is(err, store.ErrConflict) {
			return ErrEmailTaken
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", email, err)
	}
	s.log.InfoContext(ctx, "admin: user created", "user_id", u.ID)
	return u, nil
}

// CreateTenant creates a workspace from the shell (`nextflow admin
// create-tenant`) with ownerEmail's existing user as its OWNER. An empty
// slug is derived from the name; an empty plan is FREE.
func (s *Service) CreateTenant(ctx context.Context, name, slug string, plan domain.Plan, ownerEmail string) (*domain.Tenant, error) {
	name, err := validateName("name", name)
	if err != nil {
		return nil, err
	}
	if plan == "" {
		plan = domain.PlanFree
	}
	if !plan.Valid() {
		return nil, invalid("plan", "must be FREE, PRO or BIZ")
	}
	if slug != "" && !ValidSlug(slug) {
		return nil, invalid("slug", "must be 1-48 lower-case letters, digits and inner dashes")
	}
	ownerEmail = NormalizeEmail(ownerEmail)
	tenantID := domain.NewID()
	var t *domain.Tenant
	err = s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		owner, err := tx.UserGetByEmail(ctx, ownerEmail)
		if err != nil {
			return fmt.Errorf("owner %s: %w", ownerEmail, err)
		}
		if slug == "" {
			if slug, err = uniqueSlug(ctx, tx, Slugify(name), false); err != nil {
				return err
			}
		}
		if t, err = tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenantID, Name: name, Slug: slug, Plan: plan}); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("slug %q is taken: %w", slug, err)
			}
			return err
		}
		if _, err := tx.MembershipInsert(ctx, &store.MembershipInsertParams{TenantID: t.ID, UserID: owner.ID, Role: domain.RoleOwner}); err != nil {
			return err
		}
		return s.audit(ctx, tx, t.ID, nil, "tenant.created", "user", owner.ID.String(),
			map[string]any{"slug": slug, "plan": plan, "owner": ownerEmail, "via": "admin"}, "")
	})
	if err != nil {
		return nil, fmt.Errorf("create workspace %q: %w", name, err)
	}
	s.log.InfoContext(ctx, "admin: workspace created", "tenant_id", t.ID, "slug", t.Slug)
	return t, nil
}
